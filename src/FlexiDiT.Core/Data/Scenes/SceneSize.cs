namespace FlexiDiT.Data.Scenes;

/// <summary>How big a scene's object is; the radius ranges leave gaps so no two sizes look alike.</summary>
public enum SceneSize
{
    /// <summary>About a fifth of the image across.</summary>
    Small,
    /// <summary>About 30 % of the image across.</summary>
    Medium,
    /// <summary>About 40 % of the image across.</summary>
    Large,
}
