namespace FlexiDiT.Data.Scenes;

/// <summary>
/// The attributes a caption names; null where it leaves one out (the scene then has a random value for it,
/// and the evaluation does not judge it).
/// </summary>
/// <param name="Shape">The named shape, if any.</param>
/// <param name="ColorIndex">The named palette colour, if any.</param>
/// <param name="Size">The named size, if any.</param>
/// <param name="Position">The named position, if any.</param>
/// <param name="Background">The named background brightness, if any.</param>
public sealed record SceneRequest(ShapeKind? Shape = null, int? ColorIndex = null, SceneSize? Size = null, ScenePosition? Position = null, SceneBackground? Background = null)
{
    /// <summary>The attributes named, in <see cref="SceneAttribute"/> order.</summary>
    public IReadOnlyList<SceneAttribute> Named => Enum.GetValues<SceneAttribute>().Where(a => this[a] is not null).ToArray();

    /// <summary>The named value of one attribute as an index (see <see cref="SceneAttributes"/>), or null.</summary>
    public int? this[SceneAttribute attribute] => attribute switch
    {
        SceneAttribute.Shape => (int?)Shape,
        SceneAttribute.Color => ColorIndex,
        SceneAttribute.Size => (int?)Size,
        SceneAttribute.Position => (int?)Position,
        SceneAttribute.Background => (int?)Background,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "Not a scene attribute."),
    };

    /// <summary>This request with one attribute set to a value index.</summary>
    public SceneRequest With(SceneAttribute attribute, int value) => attribute switch
    {
        SceneAttribute.Shape => this with { Shape = (ShapeKind)value },
        SceneAttribute.Color => this with { ColorIndex = value },
        SceneAttribute.Size => this with { Size = (SceneSize)value },
        SceneAttribute.Position => this with { Position = (ScenePosition)value },
        SceneAttribute.Background => this with { Background = (SceneBackground)value },
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "Not a scene attribute."),
    };

    /// <summary>Whether a scene shows every attribute this request names.</summary>
    public bool IsMetBy(SceneAttributes scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return Named.All(a => this[a] == scene[a]);
    }
}
