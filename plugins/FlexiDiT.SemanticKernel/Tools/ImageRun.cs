namespace FlexiDiT.SemanticKernel;

/// <summary>
/// One agent run's use of the image tools: its caps, the calls made, what they cost, what was refused, and
/// whether the run has been stopped. Thread-safe: a model may call tools concurrently.
/// </summary>
public sealed class ImageRun
{
    private readonly object gate = new();
    private readonly List<ImageCallRecord> generations = [];
    private readonly List<ToolRefusal> refusals = [];
    private int calls;
    private decimal spent;
    private decimal held;
    private string? stopReason;

    /// <summary>Initializes a new instance of the <see cref="ImageRun"/> class.</summary>
    /// <param name="limits">The run's caps.</param>
    public ImageRun(ImageRunLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        Limits = limits;
    }

    /// <summary>Gets the run's id, used in image file names.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Gets the run's caps.</summary>
    public ImageRunLimits Limits { get; }

    /// <summary>Gets the number of tool calls counted so far, refused ones included.</summary>
    public int Calls
    {
        get { lock (gate) { return calls; } }
    }

    /// <summary>Gets the credits charged to the run's generations.</summary>
    public decimal Spent
    {
        get { lock (gate) { return spent; } }
    }

    /// <summary>
    /// Gets the credits the run may still spend under its own cap (less what generations in flight hold), or
    /// <see langword="null"/> without a cap.
    /// </summary>
    public decimal? SpendLeft
    {
        get { lock (gate) { return Limits.MaxSpend is { } cap ? Math.Max(0, cap - spent - held) : null; } }
    }

    /// <summary>Gets why the run was stopped, or <see langword="null"/> while it may go on.</summary>
    public string? StopReason
    {
        get { lock (gate) { return stopReason; } }
    }

    /// <summary>Gets a value indicating whether the run has been stopped; every further call is refused.</summary>
    public bool IsStopped => StopReason is not null;

    /// <summary>Gets the generations paid for, in order.</summary>
    public IReadOnlyList<ImageCallRecord> Generations
    {
        get { lock (gate) { return [.. generations]; } }
    }

    /// <summary>Gets the refused calls, in order.</summary>
    public IReadOnlyList<ToolRefusal> Refusals
    {
        get { lock (gate) { return [.. refusals]; } }
    }

    /// <summary>Gets every image generated in the run.</summary>
    public IReadOnlyList<GeneratedImage> Images
    {
        get { lock (gate) { return [.. generations.SelectMany(g => g.Images)]; } }
    }

    /// <summary>Stops the run: every further tool call is refused.</summary>
    /// <param name="reason">Why, as the model and the report will read it.</param>
    public void Stop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (gate)
        {
            stopReason ??= reason;
        }
    }

    /// <summary>Counts a call against the cap, unless the run is stopped or the cap is reached (which stops it).</summary>
    /// <returns><see langword="null"/> when the call may go ahead; otherwise why not.</returns>
    internal (ToolRefusalKind Kind, string Message)? TryCountCall()
    {
        lock (gate)
        {
            if (stopReason is not null)
            {
                return (ToolRefusalKind.RunStopped, $"This run was stopped ({stopReason}). Make no more tool calls; write your final answer now.");
            }

            if (calls >= Limits.MaxCalls)
            {
                stopReason = $"the run reached its limit of {Limits.MaxCalls} tool calls";
                return (ToolRefusalKind.RunCallCap, $"Refused: this run has used all {Limits.MaxCalls} tool calls it may make. Stop calling tools and write your final answer with what you have.");
            }

            calls++;
            return null;
        }
    }

    /// <summary>Records a refusal; the refusal that reaches <see cref="ImageRunLimits.MaxRefusals"/> stops the run.</summary>
    internal ToolRefusal RecordRefusal(string function, ToolRefusalKind kind, string message, DateTimeOffset at)
    {
        lock (gate)
        {
            var refusal = new ToolRefusal(function, kind, message, at);
            refusals.Add(refusal);
            var counted = refusals.Count(r => r.Kind is not ToolRefusalKind.RunStopped);
            if (stopReason is null && counted >= Limits.MaxRefusals)
            {
                stopReason = $"{counted} tool calls were refused";
            }

            return refusal;
        }
    }

    /// <summary>
    /// Holds part of the run's cap for an admitted generation, so concurrent calls of one run cannot together spend
    /// more than the cap; fails when the cap (less what is spent and held) cannot cover it.
    /// </summary>
    internal bool TryHold(decimal amount)
    {
        lock (gate)
        {
            if (Limits.MaxSpend is { } cap && spent + held + amount > cap)
            {
                return false;
            }

            held += amount;
            return true;
        }
    }

    /// <summary>Gives back what <see cref="TryHold"/> held, once the generation has been recorded or has failed.</summary>
    internal void Release(decimal amount)
    {
        lock (gate)
        {
            held = Math.Max(0, held - amount);
        }
    }

    /// <summary>Records a generation that ran and what it cost, replacing the hold its admission placed.</summary>
    internal void RecordGeneration(ImageCallRecord record, decimal held)
    {
        lock (gate)
        {
            generations.Add(record);
            spent += record.Cost;
            this.held = Math.Max(0, this.held - held);
        }
    }
}
