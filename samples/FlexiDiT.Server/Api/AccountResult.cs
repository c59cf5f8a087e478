namespace FlexiDiT.Server;

/// <summary>One account's figures this period.</summary>
/// <param name="Limit">The budget, or <see langword="null"/> for a user sharing the tenant's.</param>
/// <param name="Spent">Credits charged.</param>
/// <param name="Reserved">Credits held by generations in flight.</param>
/// <param name="Remaining">Credits left, or <see langword="null"/> without a limit of its own.</param>
public sealed record AccountResult(decimal? Limit, decimal Spent, decimal Reserved, decimal? Remaining);
