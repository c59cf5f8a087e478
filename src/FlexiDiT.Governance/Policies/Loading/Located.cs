namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>A value with the place it was defined, for duplicate and cross-reference errors.</summary>
internal sealed record Located<T>(T Value, string File, int Line)
{
    public string Where => $"{File}:{Line}";
}
