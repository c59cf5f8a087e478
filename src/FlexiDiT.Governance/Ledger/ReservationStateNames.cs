namespace FlexiDiT.Governance.Ledger;

/// <summary>How every ledger database spells a <see cref="ReservationState"/> (the <c>state</c> column).</summary>
internal static class ReservationStateNames
{
    public static string Name(ReservationState state) => state switch
    {
        ReservationState.Held => "held",
        ReservationState.Committed => "committed",
        ReservationState.Released => "released",
        ReservationState.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static ReservationState Parse(string state) => state switch
    {
        "held" => ReservationState.Held,
        "committed" => ReservationState.Committed,
        "released" => ReservationState.Released,
        "expired" => ReservationState.Expired,
        _ => throw new InvalidOperationException($"unknown reservation state '{state}' in the ledger database"),
    };
}
