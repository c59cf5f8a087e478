namespace FlexiDiT.Governance.Policies;

/// <summary>The request may not go ahead; <see cref="Code"/> says why, <see cref="PolicyDecision.Reason"/> explains.</summary>
public sealed record PolicyRefusal : PolicyDecision
{
    /// <inheritdoc />
    public override bool IsApproved => false;

    /// <summary>Gets the machine-readable reason.</summary>
    public required RefusalReason Code { get; init; }
}
