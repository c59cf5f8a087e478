namespace FlexiDiT.Prompts.Captions;

/// <summary>Which phrasings a caption uses: those training sees, or those kept out of training to measure generalisation.</summary>
public enum CaptionSplit
{
    /// <summary>Training templates and synonyms.</summary>
    Training,
    /// <summary>Templates and synonyms that training captions never use.</summary>
    HeldOut,
}
