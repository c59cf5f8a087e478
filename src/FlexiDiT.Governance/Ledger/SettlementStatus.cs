namespace FlexiDiT.Governance.Ledger;

/// <summary>What a commit or release did.</summary>
public enum SettlementStatus
{
    /// <summary>The reservation was held and is now settled.</summary>
    Settled,

    /// <summary>There is no reservation with that id.</summary>
    NotFound,

    /// <summary>The reservation was already committed, released or reclaimed; nothing changed.</summary>
    NotHeld,

    /// <summary>The commit asked to charge more than was reserved; nothing changed.</summary>
    ExceedsReservation,
}
