namespace FlexiDiT.Training;

/// <summary>
/// Warm-up, constant, then an optional linear cool-down to zero over the last steps of a run
/// ("warmup-stable-decay"). The cool-down is what lets a run be extended: train at a constant rate for as
/// long as the budget allows, resume, and spend the end of the budget annealing.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>The multiplier of the base learning rate at <paramref name="step"/> (0-based).</summary>
    /// <param name="step">Steps taken so far.</param>
    /// <param name="warmupSteps">Linear warm-up length (0: none).</param>
    /// <param name="cooldownSteps">Linear decay to zero over the steps before <paramref name="totalSteps"/> (0: none).</param>
    /// <param name="totalSteps">Where the run stops; needed when there is a cool-down.</param>
    public static double Factor(int step, int warmupSteps, int cooldownSteps = 0, int? totalSteps = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldownSteps);
        double factor = warmupSteps > 0 ? Math.Min(1.0, (step + 1) / (double)warmupSteps) : 1.0;
        if (cooldownSteps == 0) return factor;
        if (totalSteps is not { } total)
            throw new ArgumentException("A cool-down needs the total number of steps (give --steps).", nameof(totalSteps));
        double remaining = total - step;
        return Math.Clamp(remaining / cooldownSteps, 0.0, 1.0) * factor;
    }

    /// <summary>
    /// How far a run is through its budget (0 → 1): the further of its steps and its time, so a run
    /// stopped by whichever limit comes first on this machine still ends its cool-down at that limit.
    /// </summary>
    public static double BudgetProgress(int step, int? maxSteps, TimeSpan elapsed, TimeSpan? maxTime) =>
        Math.Max(maxSteps is { } s && s > 0 ? step / (double)s : 0, maxTime is { } t && t > TimeSpan.Zero ? elapsed / t : 0);

    /// <summary>
    /// The multiplier for a run measured by its progress through a budget (0 → 1, e.g. elapsed / time limit):
    /// constant, then linear to zero over the last <paramref name="cooldownFraction"/> of the budget.
    /// </summary>
    public static double FactorByProgress(double progress, double cooldownFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cooldownFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cooldownFraction, 1.0);
        return cooldownFraction == 0 ? 1.0 : Math.Clamp((1 - progress) / cooldownFraction, 0.0, 1.0);
    }
}
