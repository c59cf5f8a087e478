namespace FlexiDiT.Governance.Ledger;

/// <summary>Where a reservation is in its life.</summary>
public enum ReservationState
{
    /// <summary>The amount is held against the budget while the work runs.</summary>
    Held,

    /// <summary>The work finished; the actual cost was charged and the rest released.</summary>
    Committed,

    /// <summary>The work failed or was cancelled; nothing was charged.</summary>
    Released,

    /// <summary>The holder vanished (crash, kill) and the reservation outlived its time-to-live; nothing was charged.</summary>
    Expired,
}
