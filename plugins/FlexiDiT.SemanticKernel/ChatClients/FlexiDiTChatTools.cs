using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// The image tools for plain Microsoft.Extensions.AI chat clients (<c>UseFunctionInvocation</c>), bound to one run.
/// <c>generate_image</c> returns the images as <see cref="DataContent"/> next to its cost line, so they reach the
/// caller (and a model that accepts images) unserialised.
/// </summary>
/// <remarks>
/// The budget guard runs inside each function: calls are counted against the run's caps, generations are decided
/// against the money left, and once the run is stopped the function-calling loop is ended through
/// <see cref="FunctionInvokingChatClient.CurrentContext"/>.
/// </remarks>
public sealed class FlexiDiTChatTools
{
    /// <summary>Initializes a new instance of the <see cref="FlexiDiTChatTools"/> class.</summary>
    /// <param name="tools">The tools.</param>
    /// <param name="run">The run the calls count against, or <see langword="null"/> for a new run with the default caps.</param>
    public FlexiDiTChatTools(FlexiDiTImageTools tools, ImageRun? run = null)
    {
        Tools = tools ?? throw new ArgumentNullException(nameof(tools));
        Run = run ?? tools.StartRun();
    }

    /// <summary>Gets the tools.</summary>
    public FlexiDiTImageTools Tools { get; }

    /// <summary>Gets the run the calls count against.</summary>
    public ImageRun Run { get; }

    /// <summary>Creates the three functions, for <see cref="ChatOptions.Tools"/>.</summary>
    /// <returns>generate_image, estimate_image_cost and get_budget_status.</returns>
    public IList<AITool> AsAITools() =>
    [
        AIFunctionFactory.Create(GenerateImageAsync, FlexiDiTImageTools.GenerateFunction, ToolDescriptions.Generate),
        AIFunctionFactory.Create(EstimateImageCostAsync, FlexiDiTImageTools.EstimateFunction, ToolDescriptions.Estimate),
        AIFunctionFactory.Create(GetBudgetStatusAsync, FlexiDiTImageTools.BudgetFunction, ToolDescriptions.Budget),
    ];

    /// <summary>Generates images under the budget guard.</summary>
    /// <param name="prompt">What to draw.</param>
    /// <param name="taskType">The task type, or <see langword="null"/> for the default.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="deadlineSeconds">An optional deadline.</param>
    /// <param name="cancellationToken">Cancels the generation.</param>
    /// <returns>The cost line followed by the images, or the refusal.</returns>
    public async Task<IList<AIContent>> GenerateImageAsync(
        [Description(ToolDescriptions.Prompt)] string prompt,
        [Description(ToolDescriptions.TaskType)] string? taskType = null,
        [Description(ToolDescriptions.Count)] int count = 1,
        [Description(ToolDescriptions.Deadline)] double? deadlineSeconds = null,
        CancellationToken cancellationToken = default)
    {
        var result = await Tools.GenerateAsync(Run, new ImageRequest(prompt, taskType ?? Tools.Options.DefaultTaskType, count, deadlineSeconds), cancellationToken).ConfigureAwait(false);
        TerminateIfStopped();
        List<AIContent> contents = [new TextContent(result.Message)];
        if (result.Generation is { } generation)
        {
            contents.AddRange(generation.Images.Select(i => i.Content));
        }

        return contents;
    }

    /// <summary>Prices every mode for a request.</summary>
    /// <param name="taskType">The task type.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The estimate, or the refusal text.</returns>
    public async Task<object> EstimateImageCostAsync(
        [Description(ToolDescriptions.TaskType)] string taskType,
        [Description(ToolDescriptions.Count)] int count = 1,
        CancellationToken cancellationToken = default)
    {
        var verdict = await Tools.AdmitAsync(Run, FlexiDiTImageTools.EstimateFunction, null, cancellationToken).ConfigureAwait(false);
        TerminateIfStopped();
        if (!verdict.IsAllowed)
        {
            return verdict.Refusal.Message;
        }

        try
        {
            return await Tools.EstimateAsync(Run, taskType, count, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return $"Refused: {e.Message}";
        }
    }

    /// <summary>Reads the budget.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The budget, or the refusal text.</returns>
    public async Task<object> GetBudgetStatusAsync(CancellationToken cancellationToken = default)
    {
        var verdict = await Tools.AdmitAsync(Run, FlexiDiTImageTools.BudgetFunction, null, cancellationToken).ConfigureAwait(false);
        TerminateIfStopped();
        return verdict.IsAllowed
            ? await Tools.GetBudgetStatusAsync(Run, cancellationToken).ConfigureAwait(false)
            : verdict.Refusal.Message;
    }

    private void TerminateIfStopped()
    {
        // Outside a FunctionInvokingChatClient (a direct call) there is no loop to end.
        if (Run.IsStopped && FunctionInvokingChatClient.CurrentContext is { } context)
        {
            context.Terminate = true;
        }
    }
}
