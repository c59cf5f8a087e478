namespace FlexiDiT.Governance.Ledger;

/// <summary>What a commit charged and gave back.</summary>
/// <param name="ReservationId">The reservation.</param>
/// <param name="Reserved">The credits that were held.</param>
/// <param name="Charged">The credits charged.</param>
/// <param name="Released">The credits given back to the budget.</param>
public sealed record CommitReceipt(Guid ReservationId, decimal Reserved, decimal Charged, decimal Released);
