using FlexiDiT.Data.Scenes;

namespace FlexiDiT.Prompts.Captions;

/// <summary>What a prompt asks of a scene, and the words of it the reader did not use.</summary>
/// <param name="Request">The attributes the prompt names.</param>
/// <param name="Ignored">Words that name nothing of the scene world (or repeat an attribute already named), as written, in order.</param>
public sealed record SceneReading(SceneRequest Request, IReadOnlyList<string> Ignored)
{
    /// <summary>
    /// The prompt's phrases and unknown words in order, with where they are in the prompt (what rewriting a prompt into
    /// the training phrasing works from); empty for a reading made by hand.
    /// </summary>
    public IReadOnlyList<SceneSpan> Spans { get; init; } = [];

    /// <summary>"ignored: giraffe, purple", or empty when every word was understood.</summary>
    public string IgnoredSummary => Ignored.Count == 0 ? "" : "ignored: " + string.Join(", ", Ignored);
}
