using FlexiDiT.Models;

namespace FlexiDiT.Training;

/// <summary>Settings of <see cref="TextToImageTrainer"/>: the shared ones plus the text-to-image architecture.</summary>
public sealed record TextToImageTrainOptions : DiffusionTrainOptions
{
    /// <summary>The caption encoder and denoiser (its <c>class_dropout_prob</c> is the caption dropout).</summary>
    public required TextToImageConfig Model { get; init; }

    /// <summary>
    /// Extra weight λ of the object's pixels in the ε loss (weight 1 + λ there, 1 on the background; 0: off). The
    /// object covers 3–11 % of a scene, so with an unweighted loss the caption, which describes only the object,
    /// moves the loss by well under 1 % and is learned late. λ holds through warm-up and the constant phase and falls
    /// to 0 by the middle of the cool-down, so the weights the run ends with are trained on the unweighted loss,
    /// whose optimum is the data's denoiser (a weighted loss over-predicts object pixels).
    /// </summary>
    public double ObjectWeight { get; init; }

    /// <summary>The object weight at a step whose learning-rate factor is <paramref name="factor"/>.</summary>
    public double ObjectWeightAt(int step, double factor) =>
        step < WarmupSteps ? ObjectWeight : ObjectWeight * Math.Clamp(2 * factor - 1, 0, 1);
}
