using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Server;

/// <summary>Errors in the OpenAI shape (<c>{"error": {"message", "type", "code", "param"}}</c>), so OpenAI clients surface them.</summary>
internal static class ApiErrors
{
    public static IResult Error(int status, string message, string type, string? code = null, string? param = null) =>
        Results.Json(new ErrorResponse(new ErrorBody(message, type, code, param)), statusCode: status);

    public static IResult BadRequest(string message, string? param = null) =>
        Error(StatusCodes.Status400BadRequest, message, "invalid_request_error", "invalid_value", param);

    /// <summary>Maps a governance refusal to a status: money is 402 (not 429, which OpenAI clients retry), permissions 403.</summary>
    public static IResult Refused(ImageGenerationRefusedException refusal) => refusal.Code switch
    {
        RefusalReason.BudgetExhausted => Error(StatusCodes.Status402PaymentRequired, refusal.Reason, "insufficient_quota", "budget_exhausted"),
        RefusalReason.TaskNotAllowed => Error(StatusCodes.Status403Forbidden, refusal.Reason, "permission_error", "task_not_allowed", "task_type"),
        RefusalReason.UnknownTenant => Error(StatusCodes.Status403Forbidden, refusal.Reason, "permission_error", "unknown_tenant"),
        RefusalReason.CountTooLarge => Error(StatusCodes.Status400BadRequest, refusal.Reason, "invalid_request_error", "count_too_large", "n"),
        RefusalReason.UnknownTaskType => Error(StatusCodes.Status400BadRequest, refusal.Reason, "invalid_request_error", "unknown_task_type", "task_type"),
        RefusalReason.UnknownPlan => Error(StatusCodes.Status400BadRequest, refusal.Reason, "invalid_request_error", "unknown_mode"),
        RefusalReason.SlaUnreachable => Error(StatusCodes.Status422UnprocessableEntity, refusal.Reason, "invalid_request_error", "sla_unreachable", "deadline"),
        _ => Error(StatusCodes.Status422UnprocessableEntity, refusal.Reason, "invalid_request_error", ToSnake(refusal.Code.ToString()), "task_type"),
    };

    public static string ToSnake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));
}
