using FlexiDiT.Training;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>The additive (shape + colour) class embedding: what it keeps, what it removes, what it leaves free.</summary>
public sealed class AdditiveClassTableTests
{
    private const int Shapes = 5, Colors = 8;

    // Additive means row(s, c) − row(s', c) is the same for every colour c.
    internal static double NonAdditivity(Tensor table)
    {
        var rows = table.narrow(0, 0, Shapes * Colors).view(Shapes, Colors, table.shape[1]);
        var shapeDifferences = rows - rows[0];
        return (shapeDifferences - shapeDifferences.mean([1], keepdim: true)).abs().max().item<float>();
    }

    [Fact]
    public void Projection_makes_any_table_additive_and_leaves_the_null_class_row_alone()
    {
        var table = randn([Shapes * Colors + 1, 6], generator: new Generator(1));
        var nullRow = table[Shapes * Colors].clone();
        Assert.True(NonAdditivity(table) > 0.5);

        AdditiveClassTable.Project(table, Shapes, Colors);

        Assert.True(NonAdditivity(table) < 1e-5, $"non-additivity {NonAdditivity(table)}");
        Assert.True(table[Shapes * Colors].equal(nullRow).all().item<bool>());
    }

    [Fact]
    public void An_additive_table_is_its_own_projection()
    {
        var table = zeros([Shapes * Colors + 1, 6]);
        AdditiveClassTable.Initialize(table, Shapes, Colors, std: 1, new Generator(2));
        var before = table.clone();

        AdditiveClassTable.Project(table, Shapes, Colors);

        Assert.True(table.allclose(before, rtol: 0, atol: 1e-5));
        // Initialised at the requested scale, with distinct classes.
        double std = table.narrow(0, 0, Shapes * Colors).std().item<float>();
        Assert.InRange(std, 0.6, 1.4);
        Assert.False(table[0].allclose(table[1]));
    }

    [Fact]
    public void A_table_with_fewer_rows_than_classes_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => AdditiveClassTable.Project(zeros([10, 6]), Shapes, Colors));
        Assert.Contains("at least 40 rows", error.Message);
    }
}
