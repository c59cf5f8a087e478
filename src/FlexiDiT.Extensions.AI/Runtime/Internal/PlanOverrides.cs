using FlexiDiT.Sampling;

namespace FlexiDiT.Extensions.AI.Internal;

/// <summary>Applies a request's steps and guidance overrides to a plan.</summary>
internal static class PlanOverrides
{
    public const int MaxSteps = 1000;

    public static bool Any(int? steps, double? guidance) => steps is not null || guidance is not null;

    /// <summary>
    /// The plan with another step count and/or guidance scale. A weak-first schedule keeps its shape: the powerful
    /// steps at the end, and the unguided steps at the end, scale with the step count, so a 10/0 plan of 50 steps
    /// becomes 5/0 at 25 steps.
    /// </summary>
    public static PlanSpec Apply(PlanSpec spec, int? steps, double? guidance)
    {
        if (!Any(steps, guidance))
        {
            return spec;
        }

        var result = spec;
        if (steps is { } n && n != spec.Steps)
        {
            int old = spec.Steps;
            int ScaleCount(int count) => Math.Clamp((int)Math.Round(count * (double)n / old, MidpointRounding.AwayFromZero), 0, n);
            int? Scale(int? powerful) => powerful is { } p ? ScaleCount(p) : null;

            // DDIM respacing keeps its integer stride ("ddimN"); section lists ("25,25") become one even section.
            var respacing = spec.Respacing.Trim().StartsWith("ddim", StringComparison.OrdinalIgnoreCase) ? $"ddim{n}" : $"{n}";
            result = result with
            {
                Respacing = respacing,
                PowerfulCondSteps = Scale(spec.PowerfulCondSteps),
                PowerfulGuidanceSteps = Scale(spec.PowerfulGuidanceSteps),
                UnguidedLastSteps = ScaleCount(spec.UnguidedLastSteps),
            };
        }

        if (guidance is { } g)
        {
            result = result with { GuidanceScale = g };
        }

        return result;
    }

    public static void Validate(int? steps, double? guidance)
    {
        if (steps is { } n && (n < 1 || n > MaxSteps))
        {
            throw new ArgumentOutOfRangeException(FlexiDiTGenerationOptions.StepsKey, n, $"steps must be between 1 and {MaxSteps}");
        }

        if (guidance is { } g && !(double.IsFinite(g) && g >= 0 && g <= 100))
        {
            throw new ArgumentOutOfRangeException(FlexiDiTGenerationOptions.GuidanceKey, g, "the guidance scale must be between 0 and 100 (1 or less turns guidance off)");
        }
    }
}
