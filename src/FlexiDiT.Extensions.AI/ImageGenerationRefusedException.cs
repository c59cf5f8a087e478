using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// The governance refused a generation before anything ran or was charged: the budget cannot pay, no plan meets the
/// SLA or quality floor, the tenant may not ask for the task, and so on. <see cref="Code"/> says which;
/// <see cref="Reason"/> explains in words fit to show the person or agent that asked.
/// </summary>
public sealed class ImageGenerationRefusedException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="ImageGenerationRefusedException"/> class.</summary>
    /// <param name="refusal">The policy engine's (or the ledger's) refusal.</param>
    public ImageGenerationRefusedException(PolicyRefusal refusal)
        : base($"FlexiDiT refused the request ({(refusal ?? throw new ArgumentNullException(nameof(refusal))).Code}): {refusal.Reason}")
    {
        Refusal = refusal;
    }

    /// <summary>Gets the refusal.</summary>
    public PolicyRefusal Refusal { get; }

    /// <summary>Gets the machine-readable reason.</summary>
    public RefusalReason Code => Refusal.Code;

    /// <summary>Gets the explanation.</summary>
    public string Reason => Refusal.Reason;
}
