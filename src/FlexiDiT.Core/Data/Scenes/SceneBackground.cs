namespace FlexiDiT.Data.Scenes;

/// <summary>The brightness of a scene's background (its hue is free).</summary>
public enum SceneBackground
{
    /// <summary>Mean channel value 0.62–0.85.</summary>
    Light,
    /// <summary>Mean channel value 0.05–0.28.</summary>
    Dark,
}
