namespace FlexiDiT.SemanticKernel;

/// <summary>
/// One agent run's use of the image tools: its caps, the calls made, what they cost, what was refused, and
/// whether the run has been stopped. Thread-safe: a model may call tools concurrently.
/// </summary>
public sealed class ImageRun
{
    private readonly object _gate = new();
    private readonly List<ImageCallRecord> _generations = [];
    private readonly List<ToolRefusal> _refusals = [];
    private int _calls;
    private decimal _spent;
    private decimal _held;
    private string? _stopReason;

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
        get { lock (_gate) { return _calls; } }
    }

    /// <summary>Gets the credits charged to the run's generations.</summary>
    public decimal Spent
    {
        get { lock (_gate) { return _spent; } }
    }

    /// <summary>
    /// Gets the credits the run may still spend under its own cap (less what generations in flight hold), or
    /// <see langword="null"/> without a cap.
    /// </summary>
    public decimal? SpendLeft
    {
        get { lock (_gate) { return Limits.MaxSpend is { } cap ? Math.Max(0, cap - _spent - _held) : null; } }
    }

    /// <summary>Gets why the run was stopped, or <see langword="null"/> while it may go on.</summary>
    public string? StopReason
    {
        get { lock (_gate) { return _stopReason; } }
    }

    /// <summary>Gets a value indicating whether the run has been stopped; every further call is refused.</summary>
    public bool IsStopped => StopReason is not null;

    /// <summary>Gets the generations paid for, in order.</summary>
    public IReadOnlyList<ImageCallRecord> Generations
    {
        get { lock (_gate) { return [.. _generations]; } }
    }

    /// <summary>Gets the refused calls, in order.</summary>
    public IReadOnlyList<ToolRefusal> Refusals
    {
        get { lock (_gate) { return [.. _refusals]; } }
    }

    /// <summary>Gets every image generated in the run.</summary>
    public IReadOnlyList<GeneratedImage> Images
    {
        get { lock (_gate) { return [.. _generations.SelectMany(g => g.Images)]; } }
    }

    /// <summary>Stops the run: every further tool call is refused.</summary>
    /// <param name="reason">Why, as the model and the report will read it.</param>
    public void Stop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (_gate)
        {
            _stopReason ??= reason;
        }
    }

    /// <summary>Counts a call against the cap, unless the run is stopped or the cap is reached (which stops it).</summary>
    /// <returns><see langword="null"/> when the call may go ahead; otherwise why not.</returns>
    internal (ToolRefusalKind Kind, string Message)? TryCountCall()
    {
        lock (_gate)
        {
            if (_stopReason is not null)
            {
                return (ToolRefusalKind.RunStopped, $"This run was stopped ({_stopReason}). Make no more tool calls; write your final answer now.");
            }

            if (_calls >= Limits.MaxCalls)
            {
                _stopReason = $"the run reached its limit of {Limits.MaxCalls} tool calls";
                return (ToolRefusalKind.RunCallCap, $"Refused: this run has used all {Limits.MaxCalls} tool calls it may make. Stop calling tools and write your final answer with what you have.");
            }

            _calls++;
            return null;
        }
    }

    /// <summary>Records a refusal; the refusal that reaches <see cref="ImageRunLimits.MaxRefusals"/> stops the run.</summary>
    internal ToolRefusal RecordRefusal(string function, ToolRefusalKind kind, string message, DateTimeOffset at)
    {
        lock (_gate)
        {
            var refusal = new ToolRefusal(function, kind, message, at);
            _refusals.Add(refusal);
            var counted = _refusals.Count(r => r.Kind is not ToolRefusalKind.RunStopped);
            if (_stopReason is null && counted >= Limits.MaxRefusals)
            {
                _stopReason = $"{counted} tool calls were refused";
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
        lock (_gate)
        {
            if (Limits.MaxSpend is { } cap && _spent + _held + amount > cap)
            {
                return false;
            }

            _held += amount;
            return true;
        }
    }

    /// <summary>Gives back what <see cref="TryHold"/> held, once the generation has been recorded or has failed.</summary>
    internal void Release(decimal amount)
    {
        lock (_gate)
        {
            _held = Math.Max(0, _held - amount);
        }
    }

    /// <summary>Records a generation that ran and what it cost, replacing the hold its admission placed.</summary>
    internal void RecordGeneration(ImageCallRecord record, decimal held)
    {
        lock (_gate)
        {
            _generations.Add(record);
            _spent += record.Cost;
            _held = Math.Max(0, _held - held);
        }
    }
}
