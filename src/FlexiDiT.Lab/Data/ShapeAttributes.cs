namespace FlexiDiT.Data;

/// <summary>What a Shapes image shows; the evaluation scores generated images against it.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="ColorIndex">Index into <see cref="ShapeColor.Palette"/>.</param>
/// <param name="CenterX">Centre column in pixels.</param>
/// <param name="CenterY">Centre row in pixels.</param>
/// <param name="Size">Radius in pixels.</param>
/// <param name="Background">Background RGB in [0, 1].</param>
public sealed record ShapeAttributes(ShapeKind Shape, int ColorIndex, float CenterX, float CenterY, float Size, (float R, float G, float B) Background)
{
    /// <summary>The class index: shape-major, colour-minor (see <see cref="ShapesDataset.ClassName"/>).</summary>
    public int ClassIndex => ShapesDataset.ClassOf(Shape, ColorIndex);
}
