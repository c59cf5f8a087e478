namespace FlexiDiT.SemanticKernel;

/// <summary>Why the budget guard refused a tool call.</summary>
public enum ToolRefusalKind
{
    /// <summary>The tenant's or user's budget in the ledger cannot pay for any acceptable mode.</summary>
    Budget,

    /// <summary>The run's own spending cap cannot pay for any acceptable mode.</summary>
    RunSpendCap,

    /// <summary>The run has made as many tool calls as it may.</summary>
    RunCallCap,

    /// <summary>The run was stopped earlier (cap reached or too many refusals); nothing more is allowed.</summary>
    RunStopped,

    /// <summary>The request breaks a policy other than money: unknown or disallowed task type, too many images, unreachable deadline.</summary>
    Policy,

    /// <summary>The engine could not run it now (busy, unavailable, out of time); nothing was charged.</summary>
    Engine,
}
