namespace FlexiDiT.Data.Scenes;

/// <summary>The five things a caption can ask for and the classifier judges.</summary>
public enum SceneAttribute
{
    /// <summary><see cref="ShapeKind"/>.</summary>
    Shape,
    /// <summary>Index into <see cref="ShapeColor.Palette"/>.</summary>
    Color,
    /// <summary><see cref="SceneSize"/>.</summary>
    Size,
    /// <summary><see cref="ScenePosition"/>.</summary>
    Position,
    /// <summary><see cref="SceneBackground"/>.</summary>
    Background,
}
