namespace FlexiDiT.Engine;

/// <summary>What a linear layer applies to its outputs before they leave the matrix product.</summary>
public enum GemmActivation
{
    /// <summary>Nothing: y = x·Wᵀ + b.</summary>
    None,

    /// <summary>GELU with the tanh approximation (DiT's and PixArt's MLP).</summary>
    Gelu,
}
