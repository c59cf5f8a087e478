using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Tests.Ledger;

public sealed class BudgetPeriodWindowTests
{
    [Theory]
    [InlineData(BudgetPeriod.Daily, "2025-03-14T09:00:00Z", "2025-03-14", "2025-03-14T00:00:00Z", "2025-03-15T00:00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2025-03-14T23:59:59.999Z", "2025-03-14", "2025-03-14T00:00:00Z", "2025-03-15T00:00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2025-03-01T00:30:00+02:00", "2025-02-28", "2025-02-28T00:00:00Z", "2025-03-01T00:00:00Z")] // UTC, not local
    [InlineData(BudgetPeriod.Monthly, "2025-03-31T23:00:00Z", "2025-03", "2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2024-12-15T12:00:00Z", "2024-12", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z")]
    public void Containing_uses_the_UTC_calendar(BudgetPeriod period, string instant, string key, string start, string end)
    {
        var window = BudgetPeriodWindow.Containing(period, DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(key, window.Key);
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), window.Start);
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), window.End);
        Assert.Equal(TimeSpan.Zero, window.Start.Offset);
    }
}
