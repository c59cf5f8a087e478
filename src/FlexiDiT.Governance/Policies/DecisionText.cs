using System.Globalization;
using FlexiDiT.Governance.Knowledge;

namespace FlexiDiT.Governance.Policies;

/// <summary>The wording of decisions, kept in one place so reasons read the same everywhere.</summary>
internal static class DecisionText
{
    public static string Plan(PlanEntry plan, decimal cost, double? latencyMs) =>
        $"{plan.Name} ({Percent(plan.FlopsFraction)} FLOPs, {Credits(cost)} credits, {Latency(latencyMs)})";

    public static string Percent(double fraction) =>
        (fraction * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    public static string Credits(decimal credits) => credits.ToString("0.######", CultureInfo.InvariantCulture);

    public static string Latency(double? ms) =>
        ms is { } value ? $"~{value.ToString("0", CultureInfo.InvariantCulture)} ms" : "latency unknown";

    public static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture);

    public static string List(IEnumerable<string> names) => string.Join(", ", names);
}
