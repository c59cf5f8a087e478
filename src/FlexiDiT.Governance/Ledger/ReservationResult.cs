using System.Diagnostics.CodeAnalysis;

namespace FlexiDiT.Governance.Ledger;

/// <summary>The result of <see cref="BudgetLedger.TryReserveAsync"/>: a reservation or a denial.</summary>
public sealed record ReservationResult
{
    private ReservationResult(BudgetReservation? reservation, BudgetDenial? denial)
    {
        Reservation = reservation;
        Denial = denial;
    }

    /// <summary>Gets the reservation, when it succeeded.</summary>
    public BudgetReservation? Reservation { get; }

    /// <summary>Gets why it was refused, when it failed.</summary>
    public BudgetDenial? Denial { get; }

    /// <summary>Gets a value indicating whether the credits are now held.</summary>
    [MemberNotNullWhen(true, nameof(Reservation))]
    [MemberNotNullWhen(false, nameof(Denial))]
    public bool Succeeded => Reservation is not null;

    /// <summary>Creates a successful result.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <returns>The result.</returns>
    public static ReservationResult Success(BudgetReservation reservation) =>
        new(reservation ?? throw new ArgumentNullException(nameof(reservation)), null);

    /// <summary>Creates a refused result.</summary>
    /// <param name="denial">Why it was refused.</param>
    /// <returns>The result.</returns>
    public static ReservationResult Denied(BudgetDenial denial) =>
        new(null, denial ?? throw new ArgumentNullException(nameof(denial)));
}
