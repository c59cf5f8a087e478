namespace FlexiDiT.Diffusion;

/// <summary>How the reverse process's variance is chosen.</summary>
public enum VarianceKind
{
    /// <summary>Learned interpolation between the posterior variance and β (DiT with <c>learn_sigma</c>).</summary>
    LearnedRange,
    /// <summary>Fixed β (with the posterior variance at t=0): DiT's choice without <c>learn_sigma</c>.</summary>
    FixedLarge,
    /// <summary>Fixed posterior variance.</summary>
    FixedSmall,
}
