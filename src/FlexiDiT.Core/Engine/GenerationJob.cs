using FlexiDiT.Sampling;

namespace FlexiDiT.Engine;

/// <summary>
/// One request to the engine: which classes (class packs) or which prompt (text-to-image packs, see
/// <see cref="ForPrompt"/>), with which plan, from which seed.
/// </summary>
/// <param name="ClassLabels">One class index per image (empty for a prompt job).</param>
/// <param name="Plan">The compute plan.</param>
/// <param name="Seed">Seed of the noise; the same seed and plan give the same images.</param>
public sealed record GenerationJob(long[] ClassLabels, PlanSpec Plan, long Seed)
{
    /// <summary>A text-to-image job's prompt, one per image (null for a class job).</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>A text-to-image job's negative prompt for guidance (null: the model's own null caption).</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>The words of the prompts the text encoder leaves out; the engine fills this in when it accepts the job.</summary>
    internal IReadOnlyList<string> IgnoredWords { get; init; } = [];

    /// <summary>Images the job makes.</summary>
    public int ImageCount => Prompts?.Count ?? ClassLabels.Length;

    /// <summary>A text-to-image job: <paramref name="count"/> images of <paramref name="prompt"/>.</summary>
    public static GenerationJob ForPrompt(string prompt, int count, PlanSpec plan, long seed, string? negativePrompt = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new GenerationJob([], plan, seed) { Prompts = Enumerable.Repeat(prompt, count).ToArray(), NegativePrompt = negativePrompt };
    }
}
