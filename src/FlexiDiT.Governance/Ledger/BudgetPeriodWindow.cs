using System.Globalization;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Ledger;

/// <summary>One budget period: its key in the ledger and its bounds in UTC.</summary>
/// <param name="Period">Daily or monthly.</param>
/// <param name="Key">The ledger key: <c>yyyy-MM-dd</c> for daily periods, <c>yyyy-MM</c> for monthly ones.</param>
/// <param name="Start">The first instant of the period (inclusive).</param>
/// <param name="End">The first instant of the next period (exclusive).</param>
public sealed record BudgetPeriodWindow(BudgetPeriod Period, string Key, DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>Finds the period that contains an instant. Periods follow the UTC calendar on every replica.</summary>
    /// <param name="period">Daily or monthly.</param>
    /// <param name="instant">The instant, in any offset.</param>
    /// <returns>The period.</returns>
    public static BudgetPeriodWindow Containing(BudgetPeriod period, DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return period switch
        {
            BudgetPeriod.Daily => Daily(new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero)),
            BudgetPeriod.Monthly => Monthly(new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero)),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, null),
        };

        static BudgetPeriodWindow Daily(DateTimeOffset start) =>
            new(BudgetPeriod.Daily, start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start, start.AddDays(1));

        static BudgetPeriodWindow Monthly(DateTimeOffset start) =>
            new(BudgetPeriod.Monthly, start.ToString("yyyy-MM", CultureInfo.InvariantCulture), start, start.AddMonths(1));
    }
}
