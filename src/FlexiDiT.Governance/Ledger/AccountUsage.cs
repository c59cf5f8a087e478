namespace FlexiDiT.Governance.Ledger;

/// <summary>One account's spend and holds in one period, in micro-credits, with its stored limit override.</summary>
/// <param name="CommittedMicros">The amount charged.</param>
/// <param name="ReservedMicros">The amount held by reservations in flight.</param>
/// <param name="LimitOverrideMicros">The stored limit override, or <see langword="null"/> when the policy's limit applies.</param>
public sealed record AccountUsage(long CommittedMicros, long ReservedMicros, long? LimitOverrideMicros)
{
    /// <summary>Gets usage with nothing recorded.</summary>
    public static AccountUsage Empty { get; } = new(0, 0, null);
}
