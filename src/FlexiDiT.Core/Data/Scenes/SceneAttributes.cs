namespace FlexiDiT.Data.Scenes;

/// <summary>What a scene shows, in the words a caption can use.</summary>
/// <param name="Shape">The object's shape.</param>
/// <param name="ColorIndex">Index into <see cref="ShapeColor.Palette"/>.</param>
/// <param name="Size">The object's size class.</param>
/// <param name="Position">The grid cell the object sits in.</param>
/// <param name="Background">Light or dark background.</param>
public sealed record SceneAttributes(ShapeKind Shape, int ColorIndex, SceneSize Size, ScenePosition Position, SceneBackground Background)
{
    /// <summary>The number of values each attribute takes (the classifier's head widths).</summary>
    public static int Cardinality(SceneAttribute attribute) => attribute switch
    {
        SceneAttribute.Shape => Enum.GetValues<ShapeKind>().Length,
        SceneAttribute.Color => ShapeColor.Palette.Count,
        SceneAttribute.Size => Enum.GetValues<SceneSize>().Length,
        SceneAttribute.Position => Enum.GetValues<ScenePosition>().Length,
        SceneAttribute.Background => Enum.GetValues<SceneBackground>().Length,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "Not a scene attribute."),
    };

    /// <summary>The value of one attribute as an index (enum order; palette order for colour).</summary>
    public int this[SceneAttribute attribute] => attribute switch
    {
        SceneAttribute.Shape => (int)Shape,
        SceneAttribute.Color => ColorIndex,
        SceneAttribute.Size => (int)Size,
        SceneAttribute.Position => (int)Position,
        SceneAttribute.Background => (int)Background,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "Not a scene attribute."),
    };

    /// <summary>Attributes from one index per attribute (the inverse of the indexer).</summary>
    public static SceneAttributes FromIndices(int shape, int color, int size, int position, int background)
    {
        Check(SceneAttribute.Shape, shape);
        Check(SceneAttribute.Color, color);
        Check(SceneAttribute.Size, size);
        Check(SceneAttribute.Position, position);
        Check(SceneAttribute.Background, background);
        return new((ShapeKind)shape, color, (SceneSize)size, (ScenePosition)position, (SceneBackground)background);
    }

    private static void Check(SceneAttribute attribute, int value)
    {
        if (value < 0 || value >= Cardinality(attribute))
            throw new ArgumentOutOfRangeException(attribute.ToString(), value, $"{attribute} takes values 0..{Cardinality(attribute) - 1}.");
    }
}
