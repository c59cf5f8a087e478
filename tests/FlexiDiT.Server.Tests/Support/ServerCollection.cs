namespace FlexiDiT.Server.Tests.Support;

/// <summary>One server for every test, run one test at a time: they share its ledger and the CPU.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "FlexiDiT server";
}
