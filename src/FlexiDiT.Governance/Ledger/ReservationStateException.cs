namespace FlexiDiT.Governance.Ledger;

/// <summary>A reservation cannot be committed because it does not exist or is no longer held.</summary>
public sealed class ReservationStateException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="ReservationStateException"/> class.</summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="state">Its state, or <see langword="null"/> when it does not exist.</param>
    public ReservationStateException(Guid reservationId, ReservationState? state)
        : base(state switch
        {
            null => $"reservation {reservationId} does not exist",
            ReservationState.Expired => $"reservation {reservationId} expired and was reclaimed before it was committed; reserve with a longer time-to-live",
            _ => $"reservation {reservationId} is already {state.Value.ToString().ToLowerInvariant()}",
        })
    {
        ReservationId = reservationId;
        State = state;
    }

    /// <summary>Gets the reservation.</summary>
    public Guid ReservationId { get; }

    /// <summary>Gets its state, or <see langword="null"/> when it does not exist.</summary>
    public ReservationState? State { get; }
}
