using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Ledger;

/// <summary>Converts between credits (decimal, as policies and prices speak) and stored micro-credits.</summary>
public static class CreditUnits
{
    /// <summary>Micro-credits per credit.</summary>
    public const long MicrosPerCredit = 1_000_000;

    /// <summary>Converts credits to micro-credits, rounding up so that a reservation never holds less than the price.</summary>
    /// <param name="credits">A non-negative amount.</param>
    /// <returns>The amount in micro-credits.</returns>
    public static long ToMicros(decimal credits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(credits);
        var micros = Math.Ceiling(credits * MicrosPerCredit);
        if (micros > long.MaxValue / 4)
        {
            // Sums of a few amounts must not overflow a 64-bit column.
            throw new ArgumentOutOfRangeException(nameof(credits), credits, "amount is too large for the ledger");
        }

        return (long)micros;
    }

    /// <summary>Converts micro-credits to credits.</summary>
    /// <param name="micros">The amount in micro-credits.</param>
    /// <returns>The amount in credits.</returns>
    public static decimal ToCredits(long micros) =>
        decimal.Round((decimal)micros / MicrosPerCredit, PricingPolicy.CreditDecimals);
}
