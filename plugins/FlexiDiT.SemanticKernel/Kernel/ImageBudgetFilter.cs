using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// Enforces the ledger and the run's caps on every FlexiDiT tool call an agent makes, whatever the model says.
/// </summary>
/// <remarks>
/// <para>
/// As an <see cref="IFunctionInvocationFilter"/> it runs for every invocation, automatic or not: it counts the call
/// against the run's call cap and, for <c>generate_image</c>, decides the mode against the money left (the smaller of
/// the ledger's budget and the run's spending cap). A call that would overrun is not invoked; the model gets a
/// refusal that says what would fit instead. Refusals are logged by <see cref="FlexiDiTImageTools"/>.
/// </para>
/// <para>
/// As an <see cref="IAutoFunctionInvocationFilter"/> it ends the automatic function-calling loop
/// (it sets <c>Terminate</c> on the invocation context) once the run is stopped: the call cap was reached or the
/// model kept making calls that were refused.
/// </para>
/// </remarks>
public sealed partial class ImageBudgetFilter : IFunctionInvocationFilter, IAutoFunctionInvocationFilter
{
    private readonly FlexiDiTImagePlugin plugin;
    private readonly ILogger logger;

    /// <summary>Initializes a new instance of the <see cref="ImageBudgetFilter"/> class.</summary>
    /// <param name="plugin">The plugin whose calls it guards (its run is used when the kernel carries none).</param>
    /// <param name="logger">Where stops are logged.</param>
    public ImageBudgetFilter(FlexiDiTImagePlugin plugin, ILogger<ImageBudgetFilter>? logger = null)
    {
        this.plugin = plugin ?? throw new ArgumentNullException(nameof(plugin));
        this.logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <inheritdoc />
    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Function.PluginName != FlexiDiTImagePlugin.PluginName)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var run = context.Kernel.GetImageRun() ?? plugin.OwnRun;
        var name = context.Function.Name;
        var request = name == FlexiDiTImageTools.GenerateFunction ? ReadRequest(context.Arguments, plugin.Tools.Options.DefaultTaskType) : null;
        var verdict = await plugin.Tools.AdmitAsync(run, name, request, context.CancellationToken).ConfigureAwait(false);
        if (!verdict.IsAllowed)
        {
            context.Result = new FunctionResult(context.Function, verdict.Refusal.Message);
            return;
        }

        context.Arguments[FlexiDiTImagePlugin.VerdictArgument] = verdict;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (ArgumentException e) when (name == FlexiDiTImageTools.EstimateFunction)
        {
            // An unknown task type or a bad count: tell the model how to fix it instead of failing the turn.
            context.Result = new FunctionResult(context.Function, $"Refused: {e.Message}");
        }
        finally
        {
            // Still there: the function never took it (argument binding failed, another filter short-circuited), so
            // the price held against the run's cap must be given back here.
            if (context.Arguments.Remove(FlexiDiTImagePlugin.VerdictArgument) && verdict.Approval is { } unused)
            {
                run.Release(unused.Cost);
            }
        }
    }

    /// <inheritdoc />
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Function.PluginName != FlexiDiTImagePlugin.PluginName)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (context.Kernel.GetImageRun() is null && context.RequestSequenceIndex == 0 && context.FunctionSequenceIndex == 0)
        {
            // A new model request on a kernel without a run of its own: its caps start afresh, not where the last request left them.
            plugin.StartOwnRun();
        }

        await next(context).ConfigureAwait(false);
        var run = context.Kernel.GetImageRun() ?? plugin.OwnRun;
        if (run.StopReason is { } reason)
        {
            // Refusing alone does not stop a model that ignores refusals: end the loop so no more calls are made.
            context.Terminate = true;
            LogTerminated(logger, run.Id, context.Function.Name, reason);
        }
    }

    private static ImageRequest ReadRequest(KernelArguments arguments, string defaultTaskType)
    {
        string? Text(string key) => arguments.TryGetValue(key, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
        var count = int.TryParse(Text("count"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 1;
        double? deadline = double.TryParse(Text("deadlineSeconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
        return new ImageRequest(Text("prompt") ?? string.Empty, Text("taskType") is { Length: > 0 } t ? t : defaultTaskType, count, deadline);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: ended the function-calling loop after {Function}: {Reason}")]
    private static partial void LogTerminated(ILogger logger, string runId, string function, string reason);
}
