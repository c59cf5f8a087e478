using System.Diagnostics.CodeAnalysis;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.SemanticKernel;

/// <summary>The budget guard's answer to one tool call: go ahead (with the plan to run, for a generation) or a refusal.</summary>
public sealed record ToolVerdict
{
    private ToolVerdict(PolicyApproval? approval, ToolRefusal? refusal)
    {
        Approval = approval;
        Refusal = refusal;
    }

    /// <summary>Gets the approved plan, for an allowed generation.</summary>
    public PolicyApproval? Approval { get; }

    /// <summary>Gets the refusal, when the call may not go ahead.</summary>
    public ToolRefusal? Refusal { get; }

    /// <summary>Gets a value indicating whether the call may go ahead.</summary>
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool IsAllowed => Refusal is null;

    internal static ToolVerdict Allow(PolicyApproval? approval = null) => new(approval, null);

    internal static ToolVerdict Refuse(ToolRefusal refusal) => new(null, refusal);
}
