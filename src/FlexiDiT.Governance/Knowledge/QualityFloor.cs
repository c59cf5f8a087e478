using System.Globalization;

namespace FlexiDiT.Governance.Knowledge;

/// <summary>
/// The least quality a task accepts: a ceiling on Fréchet distance relative to full compute and/or a minimum
/// class accuracy. A plan whose quality was not measured satisfies only <see cref="None"/>.
/// </summary>
public sealed record QualityFloor
{
    /// <summary>Gets the floor that every plan satisfies.</summary>
    public static QualityFloor None { get; } = new();

    /// <summary>
    /// Gets the largest allowed ratio of the plan's Fréchet distance to the full-compute plan's (e.g. 1.05),
    /// or <see langword="null"/> for no constraint.
    /// </summary>
    public double? MaxFrechetRatio
    {
        get;
        init
        {
            if (value is { } v && !(double.IsFinite(v) && v > 0))
            {
                throw new ArgumentOutOfRangeException(nameof(MaxFrechetRatio), v, "must be a positive number");
            }

            field = value;
        }
    }

    /// <summary>Gets the smallest allowed class accuracy (0..1), or <see langword="null"/> for no constraint.</summary>
    public double? MinClassAccuracy
    {
        get;
        init
        {
            if (value is { } v && !(v >= 0 && v <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(MinClassAccuracy), v, "must be between 0 and 1");
            }

            field = value;
        }
    }

    /// <summary>Gets a value indicating whether this floor constrains nothing.</summary>
    public bool IsNone => MaxFrechetRatio is null && MinClassAccuracy is null;

    /// <summary>Decides whether a plan meets the floor.</summary>
    /// <param name="plan">The candidate plan.</param>
    /// <param name="fullCompute">The reference plan for Fréchet-distance ratios.</param>
    /// <returns><see langword="true"/> when every constraint is met by measured quality.</returns>
    public bool IsSatisfiedBy(PlanEntry plan, PlanEntry fullCompute)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(fullCompute);

        if (MaxFrechetRatio is { } maxRatio)
        {
            var ratio = FrechetRatio(plan, fullCompute);
            if (ratio is null || ratio > maxRatio)
            {
                return false;
            }
        }

        if (MinClassAccuracy is { } minAccuracy && !(plan.ClassAccuracy >= minAccuracy))
        {
            return false;
        }

        return true;
    }

    /// <summary>Computes a plan's Fréchet distance relative to the full-compute plan's.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="fullCompute">The reference plan.</param>
    /// <returns>The ratio, or <see langword="null"/> when either distance is unknown or the reference is zero.</returns>
    public static double? FrechetRatio(PlanEntry plan, PlanEntry fullCompute)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(fullCompute);
        return plan.FrechetDistance is { } fd && fullCompute.FrechetDistance is { } reference && reference > 0
            ? fd / reference
            : null;
    }

    /// <summary>Describes the floor for reasons and logs, e.g. <c>FD ≤ 1.05× full</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        if (IsNone)
        {
            return "no quality floor";
        }

        var parts = new List<string>(2);
        if (MaxFrechetRatio is { } r)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"FD ≤ {r:0.###}× full"));
        }

        if (MinClassAccuracy is { } a)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"class accuracy ≥ {a:0.###}"));
        }

        return string.Join(" and ", parts);
    }
}
