using FlexiDiT.Checkpoints;
using FlexiDiT.Vae;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Vae;

/// <summary>The shared VAE reference files, and helpers that write altered copies of them.</summary>
internal static class VaeFiles
{
    public static string Weights(string naming) => TestPaths.Reference($"vae_tiny_a.{naming}.safetensors");
    public static string Config => TestPaths.Reference("vae_tiny_a.json");
    public static string Vectors => TestPaths.Reference("vae_tiny_a.vectors.safetensors");

    /// <summary>Writes <paramref name="source"/>'s tensors to <paramref name="path"/> after <paramref name="edit"/>.</summary>
    public static string Rewrite(string source, string path, Action<Dictionary<string, Tensor>> edit)
    {
        var tensors = SafetensorsFile.Read(source);
        edit(tensors);
        SafetensorsFile.Write(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        return path;
    }

    /// <summary>The decoder's state dict under another naming (attention projections as 1×1 convs for ldm).</summary>
    public static Dictionary<string, Tensor> Export(VaeDecoder decoder, VaeKeyNaming naming)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in decoder.state_dict())
        {
            var value = tensor.detach().clone();
            if (naming == VaeKeyNaming.Ldm && VaeKeyNames.IsAttentionProjection(key)) value = value.reshape(value.shape[0], value.shape[1], 1, 1);
            result[VaeKeyNames.ToFileKey(key, naming, decoder.Config.Levels)] = value;
        }
        return result;
    }

    /// <summary>max |a - b| / max |b|.</summary>
    public static double RelativeError(Tensor actual, Tensor expected) =>
        (actual.to(float64) - expected.to(float64)).abs().max().item<double>() / expected.to(float64).abs().max().item<double>();
}
