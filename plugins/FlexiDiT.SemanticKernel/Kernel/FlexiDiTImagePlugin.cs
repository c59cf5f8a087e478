using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// The image tools as Semantic Kernel functions. Add it with
/// <see cref="FlexiDiTKernelExtensions.AddFlexiDiTImages(IKernelBuilder, FlexiDiTImageTools)"/>, which also adds the
/// <see cref="ImageBudgetFilter"/> that enforces the ledger and the run's caps.
/// </summary>
/// <remarks>
/// <c>generate_image</c> returns text (cost line and <c>file://</c> URIs) because that is what every chat model
/// accepts as a tool result; the images themselves, as <c>DataContent</c>, are in <see cref="ImageRun.Images"/>.
/// Calls without a run attached to the kernel (<see cref="KernelImageRunExtensions.AttachImageRun"/>) count against a
/// run owned by the plugin, which the <see cref="ImageBudgetFilter"/> starts afresh with each automatic
/// function-calling request; attach a run per conversation when one kernel serves several at once.
/// </remarks>
public sealed class FlexiDiTImagePlugin
{
    /// <summary>The plugin's name in the kernel.</summary>
    public const string PluginName = "flexidit";

    /// <summary>The <see cref="KernelArguments"/> key under which the filter hands its verdict to the function.</summary>
    internal const string VerdictArgument = "__flexidit_verdict";

    private volatile ImageRun ownRun;

    /// <summary>Initializes a new instance of the <see cref="FlexiDiTImagePlugin"/> class.</summary>
    /// <param name="tools">The tools.</param>
    public FlexiDiTImagePlugin(FlexiDiTImageTools tools)
    {
        Tools = tools ?? throw new ArgumentNullException(nameof(tools));
        ownRun = tools.StartRun();
    }

    /// <summary>Gets the tools behind the functions.</summary>
    public FlexiDiTImageTools Tools { get; }

    /// <summary>Generates images and saves them; see the description the model reads.</summary>
    /// <param name="kernel">The kernel (injected), which carries the run.</param>
    /// <param name="arguments">The arguments (injected), which may carry the filter's verdict.</param>
    /// <param name="prompt">What to draw.</param>
    /// <param name="taskType">The task type.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="deadlineSeconds">An optional deadline.</param>
    /// <param name="cancellationToken">Cancels the generation.</param>
    /// <returns>The cost line and where the images are, or why nothing was generated.</returns>
    [KernelFunction(FlexiDiTImageTools.GenerateFunction)]
    [Description(ToolDescriptions.Generate)]
    public async Task<string> GenerateImageAsync(
        Kernel kernel,
        KernelArguments arguments,
        [Description(ToolDescriptions.Prompt)] string prompt,
        [Description(ToolDescriptions.TaskType)] string? taskType = null,
        [Description(ToolDescriptions.Count)] int count = 1,
        [Description(ToolDescriptions.Deadline)] double? deadlineSeconds = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(arguments);
        var run = kernel.GetImageRun() ?? ownRun;
        var request = new ImageRequest(prompt, taskType ?? Tools.Options.DefaultTaskType, count, deadlineSeconds);

        // The filter already admitted (and counted) this call when it left its verdict; don't count it twice. Taking the
        // verdict out tells the filter the hold it placed on the run's cap is now this call's to settle.
        var admitted = arguments.TryGetValue(VerdictArgument, out var v) && v is ToolVerdict { IsAllowed: true, Approval: not null };
        var result = admitted && arguments.Remove(VerdictArgument)
            ? await Tools.GenerateAdmittedAsync(run, request, ((ToolVerdict)v!).Approval!, cancellationToken).ConfigureAwait(false)
            : await Tools.GenerateAsync(run, request, cancellationToken).ConfigureAwait(false);
        return result.Message;
    }

    /// <summary>Prices every mode for a request.</summary>
    /// <param name="kernel">The kernel (injected), which carries the run.</param>
    /// <param name="taskType">The task type.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The estimate.</returns>
    [KernelFunction(FlexiDiTImageTools.EstimateFunction)]
    [Description(ToolDescriptions.Estimate)]
    public Task<CostEstimate> EstimateImageCostAsync(
        Kernel kernel,
        [Description(ToolDescriptions.TaskType)] string taskType,
        [Description(ToolDescriptions.Count)] int count = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return Tools.EstimateAsync(kernel.GetImageRun() ?? ownRun, taskType, count, cancellationToken);
    }

    /// <summary>Reads the budget.</summary>
    /// <param name="kernel">The kernel (injected), which carries the run.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The budget.</returns>
    [KernelFunction(FlexiDiTImageTools.BudgetFunction)]
    [Description(ToolDescriptions.Budget)]
    public Task<BudgetSnapshot> GetBudgetStatusAsync(Kernel kernel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return Tools.GetBudgetStatusAsync(kernel.GetImageRun() ?? ownRun, cancellationToken);
    }

    /// <summary>Gets the run used when no run is attached to the kernel.</summary>
    internal ImageRun OwnRun => ownRun;

    /// <summary>Starts a new run of the plugin's own, with the tools' default caps.</summary>
    internal void StartOwnRun() => ownRun = Tools.StartRun();
}
