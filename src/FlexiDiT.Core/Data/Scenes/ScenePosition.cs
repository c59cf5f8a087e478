namespace FlexiDiT.Data.Scenes;

/// <summary>Where a scene's object sits: one cell of a 3×3 grid, in reading order.</summary>
public enum ScenePosition
{
    /// <summary>Top row, left column.</summary>
    TopLeft,
    /// <summary>Top row, middle column.</summary>
    Top,
    /// <summary>Top row, right column.</summary>
    TopRight,
    /// <summary>Middle row, left column.</summary>
    Left,
    /// <summary>The middle cell.</summary>
    Center,
    /// <summary>Middle row, right column.</summary>
    Right,
    /// <summary>Bottom row, left column.</summary>
    BottomLeft,
    /// <summary>Bottom row, middle column.</summary>
    Bottom,
    /// <summary>Bottom row, right column.</summary>
    BottomRight,
}
