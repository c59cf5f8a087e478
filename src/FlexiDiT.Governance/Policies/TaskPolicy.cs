using FlexiDiT.Governance.Knowledge;

namespace FlexiDiT.Governance.Policies;

/// <summary>What a kind of request needs: its quality floor, how fast it must be, and whether it may degrade.</summary>
public sealed record TaskPolicy
{
    /// <summary>Gets the task type's name, e.g. <c>slide</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Gets a human-readable description, if any.</summary>
    public string? Description { get; init; }

    /// <summary>Gets the least quality the task accepts.</summary>
    public QualityFloor QualityFloor { get; init; } = QualityFloor.None;

    /// <summary>Gets the latency the task must meet, in milliseconds, unless a request overrides it.</summary>
    public required int DefaultSlaMs { get; init; }

    /// <summary>
    /// Gets a value indicating whether the task may fall below its quality floor rather than fail, when the budget
    /// or the deadline cannot pay for the floor.
    /// </summary>
    public required bool MayDegrade { get; init; }

    /// <summary>Gets the most images one request of this task may ask for.</summary>
    public required int MaxCount { get; init; }

    internal void Validate()
    {
        PolicyNames.EnsureTaskType(Name);
        ArgumentNullException.ThrowIfNull(QualityFloor);
        if (DefaultSlaMs < 1)
        {
            throw new ArgumentException($"task '{Name}': DefaultSlaMs must be positive (got {DefaultSlaMs})");
        }

        if (MaxCount < 1)
        {
            throw new ArgumentException($"task '{Name}': MaxCount must be positive (got {MaxCount})");
        }
    }
}
