namespace FlexiDiT.Governance.Policies;

/// <summary>The outcome of <see cref="ComputePolicyEngine.Decide"/>: a <see cref="PolicyApproval"/> or a <see cref="PolicyRefusal"/>.</summary>
public abstract record PolicyDecision
{
    /// <summary>Gets a human-readable explanation, fit to show the person or agent that asked.</summary>
    public required string Reason { get; init; }

    /// <summary>Gets a value indicating whether the request may go ahead.</summary>
    public abstract bool IsApproved { get; }
}
