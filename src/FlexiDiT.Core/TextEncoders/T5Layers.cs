using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// Layers whose weights start as zeros. They always come from a checkpoint; a random initialisation of
/// t5-v1_1-xxl's 4.8 B parameters would take minutes on a CPU (25 s for 0.7 B on 2 cores) for nothing.
/// The modules are built on the meta device, where their own initialisation costs nothing, then given real tensors.
/// </summary>
internal static class T5Layers
{
    private static readonly Device Meta = new(DeviceType.META);

    public static Linear Linear(int inFeatures, int outFeatures, ScalarType dtype)
    {
        var linear = nn.Linear(inFeatures, outFeatures, hasBias: false, device: Meta, dtype: dtype);
        linear.weight = nn.Parameter(torch.zeros(outFeatures, inFeatures, dtype: dtype));
        return linear;
    }

    public static Embedding Embedding(int count, int width, ScalarType dtype)
    {
        var embedding = nn.Embedding(count, width, device: Meta, dtype: dtype);
        embedding.weight = nn.Parameter(torch.zeros(count, width, dtype: dtype));
        return embedding;
    }
}
