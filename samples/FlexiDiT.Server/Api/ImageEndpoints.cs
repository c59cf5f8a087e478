using System.Diagnostics;
using System.Drawing;
using System.Globalization;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Resilience;
using FlexiDiT.Server.Auth;
using FlexiDiT.Server.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace FlexiDiT.Server;

/// <summary><c>POST /v1/images/generations</c> (OpenAI-compatible) and the files of URL responses.</summary>
internal static partial class ImageEndpoints
{
    private const int MaxImagesPerRequest = 16;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/images/generations", GenerateAsync).AddEndpointFilter<ApiKeyFilter>();
        app.MapGet(ImageStore.RoutePrefix + "{name}", (string name, string? expires, string? sig, ImageStore store) =>
            store.Find(name, expires, sig) is { } path ? Results.File(path, "image/png") : Results.NotFound());
    }

    private static async Task<IResult> GenerateAsync(
        HttpContext http,
        ImageGenerationBody? body,
        IImageGenerator generator,
        BudgetLedger ledger,
        ImageStore store,
        ServerMetrics metrics,
        IOptions<ServerOptions> options,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var identity = ApiKeyFilter.IdentityOf(http);
        var logger = loggers.CreateLogger("FlexiDiT.Server.Images");
        metrics.Request();
        if (Validate(body, options.Value) is { } invalid)
        {
            metrics.Refused("invalid_request");
            return invalid;
        }

        var request = body!;
        var generation = new ImageGenerationOptions
        {
            Count = request.N ?? 1,
            ImageSize = ParseSize(request.Size),
            MediaType = "image/png",
            ResponseFormat = ImageGenerationResponseFormat.Data,
            ModelId = request.Model,
        }
            .WithTaskType(request.TaskType)
            .WithDeadline(DeadlineOf(request.Deadline))
            .WithSeed(request.Seed)

            // The key decides who pays; nothing in the body can change it.
            .WithTenant(identity.Tenant, identity.User);

        var clock = Stopwatch.StartNew();
        ImageGenerationResponse response;
        try
        {
            response = await generator.GenerateAsync(new ImageGenerationRequest { Prompt = request.Prompt }, generation, cancellationToken);
        }
        catch (ImageGenerationRefusedException e)
        {
            metrics.Refused(ApiErrors.ToSnake(e.Code.ToString()));
            LogRefused(logger, identity.KeyName, identity.Tenant, e.Code.ToString(), e.Reason);
            return ApiErrors.Refused(e);
        }
        catch (EngineBusyException e)
        {
            metrics.Refused("engine_busy");
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling((e.RetryAfter ?? TimeSpan.FromSeconds(2)).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ApiErrors.Error(StatusCodes.Status503ServiceUnavailable, e.Message, "server_error", "engine_busy");
        }
        catch (EngineUnavailableException e)
        {
            metrics.Failed();
            return ApiErrors.Error(StatusCodes.Status503ServiceUnavailable, e.Message, "server_error", "engine_unavailable");
        }
        catch (GenerationTimeoutException e)
        {
            metrics.Failed();
            return ApiErrors.Error(StatusCodes.Status504GatewayTimeout, e.Message, "server_error", "deadline_exceeded", "deadline");
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            // The model pack is missing or broken: the server's problem, not the caller's, and nothing was charged.
            metrics.Failed();
            LogModelUnavailable(logger, e);
            return ApiErrors.Error(StatusCodes.Status503ServiceUnavailable, "The image model is not available: " + e.Message, "server_error", "model_unavailable");
        }
        catch (ArgumentException e)
        {
            // The generator checks the request once (prompt, n, size, deadline, model) and names the option it refused; a
            // prompt naming no class (or nothing the scenes model draws) is refused here too. All are the caller's to fix.
            metrics.Refused("invalid_request");
            return ApiErrors.BadRequest(e.Message, FieldOf(e.ParamName));
        }
        catch (NotSupportedException e)
        {
            metrics.Refused("invalid_request");
            return ApiErrors.BadRequest(e.Message);
        }

        var report = response.GetFlexiDiTReport();
        var images = response.Contents.OfType<DataContent>().ToList();
        var data = new List<ImageItem>(images.Count);
        foreach (var image in images)
        {
            if (request.ResponseFormat == "url")
            {
                var signed = await store.SaveAsync(image.Data, cancellationToken);
                data.Add(new ImageItem(null, $"{http.Request.Scheme}://{http.Request.Host}{signed}", report?.ClassName));
            }
            else
            {
                data.Add(new ImageItem(Convert.ToBase64String(image.Data.Span), null, report?.ClassName));
            }
        }

        var cost = report?.Cost ?? 0m;
        var latency = report?.ActualLatencyMs ?? clock.Elapsed.TotalMilliseconds;
        metrics.Generated(images.Count, cost, latency);
        var summary = new GenerationSummary
        {
            Mode = report?.Mode ?? "unknown",
            TaskType = report?.TaskType ?? request.TaskType ?? "unknown",
            Tenant = identity.Tenant,
            User = identity.User,
            Cost = cost,
            // Against the full-compute mode, as /v1/estimate puts it.
            ComputeSavedPercent = report is null ? 0 : (int)Math.Round(100 * (1 - report.Approval.Plan.FlopsFraction)),
            FlexiDiTSavedPercent = report is null ? 0 : (int)Math.Round(100 * report.Savings.FlexiDiTFraction),
            StepsSavedPercent = report is null ? 0 : (int)Math.Round(100 * report.Savings.StepsFraction),
            Degraded = report?.Degraded ?? false,
            Reason = report?.Reason ?? string.Empty,
            IgnoredWords = report?.IgnoredWords ?? [],
            LatencyMs = Math.Round(latency, 1),
            RemainingCredits = await ledger.GetRemainingAsync(identity.Tenant, identity.User, cancellationToken),
        };
        LogGenerated(logger, identity.KeyName, identity.Tenant, images.Count, summary.Mode, cost);
        return Results.Ok(new ImageGenerationResult(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data, summary));
    }

    // What the generator checks (a blank prompt, n below 1, the size against the model, the deadline's range) it
    // refuses with the option's name; here only what is HTTP's own: the body's shape and the server's limits.
    private static IResult? Validate(ImageGenerationBody? body, ServerOptions options)
    {
        if (body is null)
        {
            return ApiErrors.BadRequest("The body must be a JSON object with at least 'prompt'.");
        }

        if (body.Prompt?.Length > options.MaxPromptLength)
        {
            return ApiErrors.BadRequest($"'prompt' is longer than {options.MaxPromptLength} characters.", "prompt");
        }

        if (body.N > MaxImagesPerRequest)
        {
            return ApiErrors.BadRequest($"'n' must be between 1 and {MaxImagesPerRequest}.", "n");
        }

        if (body.Size is not null && ParseSize(body.Size) is null)
        {
            return ApiErrors.BadRequest("'size' must look like '32x32'.", "size");
        }

        if (body.ResponseFormat is not (null or "b64_json" or "url"))
        {
            return ApiErrors.BadRequest("'response_format' must be 'b64_json' or 'url'.", "response_format");
        }

        return null;
    }

    /// <summary>The body's field for an option the generator refused (<see cref="ArgumentException.ParamName"/>).</summary>
    private static string? FieldOf(string? option) => option switch
    {
        nameof(ImageGenerationRequest.Prompt) => "prompt",
        nameof(ImageGenerationOptions.Count) => "n",
        nameof(ImageGenerationOptions.ImageSize) => "size",
        FlexiDiTGenerationOptions.DeadlineKey => "deadline",
        _ => null,
    };

    // Seconds past TimeSpan's range (about 29,000 years either way) go on as its bounds, which the generator refuses
    // like any deadline out of its range.
    private static TimeSpan? DeadlineOf(double? seconds) => seconds switch
    {
        null => null,
        { } s when s >= TimeSpan.MaxValue.TotalSeconds => TimeSpan.MaxValue,
        { } s when s <= TimeSpan.MinValue.TotalSeconds => TimeSpan.MinValue,
        { } s => TimeSpan.FromSeconds(s),
    };

    private static Size? ParseSize(string? size)
    {
        var parts = size?.Split('x', 'X');
        return parts is [var w, var h]
            && int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            && int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            && width is > 0 and <= 4096 && height is > 0 and <= 4096
            ? new Size(width, height)
            : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a generation for key '{KeyName}' (tenant {Tenant}): {Code}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string keyName, string tenant, string code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The image model could not be loaded")]
    private static partial void LogModelUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Generated {Count} image(s) for key '{KeyName}' (tenant {Tenant}) in mode {Mode} for {Cost} credits")]
    private static partial void LogGenerated(ILogger logger, string keyName, string tenant, int count, string mode, decimal cost);
}
