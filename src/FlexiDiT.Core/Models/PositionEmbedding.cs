using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>The fixed 2-D sin-cos position embeddings of DiT/MAE, at fractional grid positions.</summary>
public static class PositionEmbedding
{
    /// <summary>
    /// Embeddings for an rows×cols token grid whose tokens each span <paramref name="originalPatchesPerToken"/>
    /// original patches per side: a token is placed at the centre of the original patches it covers, so a
    /// coarse grid reuses the original coordinate frame. With 1 this is exactly the official
    /// <c>get_2d_sincos_pos_embed</c>: the first half of the channels encodes the column, the second the row.
    /// </summary>
    public static Tensor SinCos2D(int dim, int rows, int cols, double originalPatchesPerToken)
    {
        double offset = (originalPatchesPerToken - 1) / 2;
        return SinCos2D(dim, rows, cols, index => index * originalPatchesPerToken + offset);
    }

    /// <summary>
    /// PixArt-α's table for a square grid whose tokens each span <paramref name="originalPatchesPerToken"/> patches
    /// of the original <paramref name="originalGrid"/>: a token at original-grid coordinate u sits at
    /// u / (originalGrid / baseSize) / leweiScale (the official <c>get_2d_sincos_pos_embed</c> with
    /// <c>lewei_scale</c> and <c>base_size</c>; its first division is in float32, as numpy does it).
    /// </summary>
    public static Tensor PixArt(int dim, int grid, int originalGrid, int baseSize, double leweiScale, double originalPatchesPerToken = 1)
    {
        double offset = (originalPatchesPerToken - 1) / 2;
        float perBase = (float)(originalGrid / (double)baseSize);
        return SinCos2D(dim, grid, grid, index => (float)((float)(index * originalPatchesPerToken + offset) / perBase) / leweiScale);
    }

    private static Tensor SinCos2D(int dim, int rows, int cols, Func<int, double> position)
    {
        var table = new float[rows * cols * dim];
        int half = dim / 2, quarter = half / 2;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                int row = (i * cols + j) * dim;
                Write(table, row, position(j), quarter);
                Write(table, row + half, position(i), quarter);
            }
        }
        return tensor(table, [rows * cols, dim]);
    }

    // One 1-D embedding: sin(pos·ω_k) for k < quarter, then cos(pos·ω_k), ω_k = 10000^(-k/quarter), in float64 like numpy.
    private static void Write(float[] table, int start, double position, int quarter)
    {
        for (int k = 0; k < quarter; k++)
        {
            double omega = 1.0 / Math.Pow(10000, k / (double)quarter);
            table[start + k] = (float)Math.Sin(position * omega);
            table[start + quarter + k] = (float)Math.Cos(position * omega);
        }
    }
}
