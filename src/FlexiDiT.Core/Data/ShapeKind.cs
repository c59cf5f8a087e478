namespace FlexiDiT.Data;

/// <summary>The five shapes of the Shapes data set.</summary>
public enum ShapeKind
{
    /// <summary>A filled disc.</summary>
    Circle,
    /// <summary>A filled axis-aligned square.</summary>
    Square,
    /// <summary>A filled upward triangle.</summary>
    Triangle,
    /// <summary>A plus-shaped cross.</summary>
    Cross,
    /// <summary>An annulus.</summary>
    Ring,
}
