namespace FlexiDiT.Governance.Ledger;

/// <summary>A reservation would have taken a budget past its limit, so nothing was reserved.</summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="denial">What was refused and why.</param>
    public BudgetExceededException(BudgetDenial denial)
        : base((denial ?? throw new ArgumentNullException(nameof(denial))).Message)
    {
        Denial = denial;
    }

    /// <summary>Gets what was refused and why.</summary>
    public BudgetDenial Denial { get; }
}
