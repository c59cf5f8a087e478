namespace FlexiDiT.Extensions.AI.Tests.Support;

/// <summary>
/// Every test shares one <see cref="TinyFlexiDiTPack"/> and runs one at a time: the CPU is shared, and timing-based
/// assertions (cancellation) must not compete with other tests' generations.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TinyPackCollection : ICollectionFixture<TinyFlexiDiTPack>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "tiny FlexiDiT pack";
}
