namespace FlexiDiT.Engine;

/// <summary>What a job produced and cost.</summary>
/// <param name="Samples">Images (N, 3, H, W) in [-1, 1] on the CPU (decoded from latents where the model has a VAE).</param>
/// <param name="FlopsSpent">Denoiser FLOPs spent (2 per multiply-add; the VAE is not counted, as in the paper).</param>
/// <param name="FullComputeFlops">
/// FLOPs the same images cost in the pack's full-compute mode (its plan <c>full</c>; without one, the same steps all at
/// the powerful patch size), at least <paramref name="FlopsSpent"/>.
/// </param>
/// <param name="Steps">Sampling steps.</param>
/// <param name="WeakSteps">Steps whose conditional branch ran at the weak patch size.</param>
/// <param name="Elapsed">Wall time from submission to the decoded images.</param>
public sealed record GenerationResult(TorchSharp.torch.Tensor Samples, long FlopsSpent, long FullComputeFlops, int Steps, int WeakSteps, TimeSpan Elapsed)
{
    /// <summary>FLOPs saved against full compute (FlexiDiT's saving and fewer steps' together; see <see cref="Savings"/>).</summary>
    public long FlopsSaved => FullComputeFlops - FlopsSpent;

    /// <summary>
    /// Gets the FLOPs the same steps and guidance would cost with every forward at the powerful patch size (what FlexiDiT's
    /// own saving is measured against); by default <see cref="FullComputeFlops"/>.
    /// </summary>
    public long SameStepsFullComputeFlops { get; init; } = FullComputeFlops;

    /// <summary>
    /// Gets the words of the prompt the text encoder did not understand and left out of the images ("giraffe"), in order;
    /// empty when it understood every word, and for class jobs.
    /// </summary>
    public IReadOnlyList<string> IgnoredWords { get; init; } = [];

    /// <summary>Gets the saving split into FlexiDiT's part (same steps and guidance) and fewer steps' part.</summary>
    public Flops.ComputeSavings Savings => Flops.ComputeSavings.Of(FlopsSpent, SameStepsFullComputeFlops, FullComputeFlops);
}
