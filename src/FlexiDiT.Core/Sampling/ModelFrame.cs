namespace FlexiDiT.Sampling;

/// <summary>How the model is shown the image it denoises.</summary>
public enum ModelFrame
{
    /// <summary>As it is (how every plan samples).</summary>
    Upright,
    /// <summary>
    /// Transposed (rows and columns swapped), with the model's output transposed back: a diagnostic. An artifact that
    /// turns with the frame (horizontal streaks becoming vertical) was learned by the model; one that stays put comes
    /// from the sampler or the data.
    /// </summary>
    Transposed,
}
