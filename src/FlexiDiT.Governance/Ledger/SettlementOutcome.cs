namespace FlexiDiT.Governance.Ledger;

/// <summary>The result of <see cref="IBudgetStore.CommitAsync"/> or <see cref="IBudgetStore.ReleaseAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Reservation">The reservation as it is now, when it exists.</param>
/// <param name="Tenant">The tenant's usage in the reservation's period afterwards, when settled.</param>
/// <param name="User">The user's usage afterwards, when settled and the reservation has a user.</param>
public sealed record SettlementOutcome(
    SettlementStatus Status,
    ReservationRecord? Reservation,
    AccountUsage? Tenant,
    AccountUsage? User);
