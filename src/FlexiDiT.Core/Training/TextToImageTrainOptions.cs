using FlexiDiT.Models;

namespace FlexiDiT.Training;

/// <summary>Settings of <see cref="TextToImageTrainer"/>: the shared ones plus the text-to-image architecture.</summary>
public sealed record TextToImageTrainOptions : DiffusionTrainOptions
{
    /// <summary>The caption encoder and denoiser (its <c>class_dropout_prob</c> is the caption dropout).</summary>
    public required TextToImageConfig Model { get; init; }
}
