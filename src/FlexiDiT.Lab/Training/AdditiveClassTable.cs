using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// Keeps a class-embedding table whose classes are (shape, colour) pairs additive: row(s, c) = a shape
/// vector + a colour vector. Why: with one free row per class, each row learns only from its own class's
/// samples (1 in 40 on Shapes), so every colour of a cross learns "cross" on its own; an additive table
/// lets all eight share it. The table stays the official <c>y_embedder.embedding_table</c> (the checkpoint
/// format does not change); rows after the class rows (the null class of guidance) are left free.
/// Measured in a 30-minute run (README, "What moved the numbers"): no gain beyond the noise, so the shipped
/// model does not use it.
/// </summary>
public static class AdditiveClassTable
{
    /// <summary>Fills the class rows with a random shape vector plus a random colour vector, each of std <paramref name="std"/>/√2.</summary>
    public static void Initialize(Tensor table, int shapes, int colors, double std, Generator? generator = null)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long width = table.shape[1];
        var shape = torch.randn([shapes, 1, width], generator: generator);
        var color = torch.randn([1, colors, width], generator: generator);
        ClassRows(table, shapes, colors).copy_((shape + color) * (std / Math.Sqrt(2)));
    }

    /// <summary>
    /// Replaces the class rows by their least-squares additive fit (shape mean + colour mean − grand mean),
    /// in place; applied after every optimiser step, it keeps the training on the additive tables.
    /// </summary>
    public static void Project(Tensor table, int shapes, int colors)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var rows = ClassRows(table, shapes, colors);
        var fit = rows.mean([1], keepdim: true) + rows.mean([0], keepdim: true) - rows.mean([0, 1], keepdim: true);
        rows.copy_(fit);
    }

    // Class index = shape × colours + colour (as ShapesDataset.ClassOf), so the first rows viewed as
    // (shapes, colours, width) index by shape, then colour.
    private static Tensor ClassRows(Tensor table, int shapes, int colors)
    {
        if (table.dim() != 2 || table.shape[0] < shapes * colors)
            throw new ArgumentException($"Expected a class table with at least {shapes * colors} rows, got shape [{string.Join(", ", table.shape)}].", nameof(table));
        return table.narrow(0, 0, shapes * colors).view(shapes, colors, table.shape[1]);
    }
}
