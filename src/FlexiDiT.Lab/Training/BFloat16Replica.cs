using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// Mixed-precision training without autocast (TorchSharp has none): a bfloat16 copy of the model runs the
/// forward and backward passes, while the float32 master model keeps the weights that AdamW, the EMA,
/// gradient clipping and the checkpoints see. Each step copies the master weights in and the gradients
/// back out, so the saved checkpoint is an ordinary float32 DiT. It pays on CPUs with native bfloat16
/// matrix units (AVX512-BF16): there a training step of the shipped Shapes DiT takes about 0.64× the
/// float32 time; without them bfloat16 matmuls are slower than float32 (see the stack notes).
/// </summary>
public sealed class BFloat16Replica : IDisposable
{
    private readonly nn.Module replica;
    private readonly (Tensor Master, Tensor Replica)[] pairs;

    /// <summary>Creates the bfloat16 copy of the DiT <paramref name="master"/>.</summary>
    public BFloat16Replica(DiT master) : this(master, new DiT(master.Config)) { }

    /// <summary>
    /// Makes <paramref name="replica"/>, a fresh model of <paramref name="master"/>'s architecture (same parameter
    /// names), the bfloat16 copy; the replica is owned (disposed) by this object.
    /// </summary>
    public BFloat16Replica(nn.Module master, nn.Module replica)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(replica);
        this.replica = replica;
        replica.to(ScalarType.BFloat16);
        replica.train(master.training);
        var replicaParams = replica.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        pairs = master.named_parameters().Select(p => replicaParams.TryGetValue(p.name, out var copy) ? ((Tensor)p.parameter, copy)
            : throw new ArgumentException($"The replica has no parameter '{p.name}': build it with the master's architecture.", nameof(replica))).ToArray();
        // Buffers (e.g. PixArt's null caption) are not trained: copy them once.
        var replicaBuffers = replica.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        using (torch.no_grad())
        {
            foreach (var (name, buffer) in master.named_buffers())
                if (replicaBuffers.TryGetValue(name, out var copy)) copy.copy_(buffer);
        }
        // Frozen master weights (conversion trains only the weak patch size's parts) get no gradient here either.
        foreach (var (m, copy) in pairs) copy.requires_grad = m.requires_grad;
    }

    /// <summary>Loads the master weights and runs the bfloat16 forward; the output is float32 for the loss.</summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor y, int? patchSize = null) =>
        Run(model => ((DiT)model).Forward(x.to(ScalarType.BFloat16), t, y, patchSize));

    /// <summary>
    /// Loads the master weights and runs <paramref name="forward"/> on the bfloat16 replica (its floating inputs
    /// must be cast to bfloat16 by the caller); the output comes back as float32 for the loss.
    /// </summary>
    public Tensor Run(Func<nn.Module, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        using (torch.no_grad())
            foreach (var (master, copy) in pairs) copy.copy_(master);
        replica.zero_grad();
        return forward(replica).to(ScalarType.Float32);
    }

    /// <summary>After <c>backward</c>: hands the replica's gradients to the master parameters as float32.</summary>
    public void CopyGradientsToMaster()
    {
        foreach (var (master, copy) in pairs)
            if (copy.grad is { } g) master.grad = g.to(ScalarType.Float32);
    }

    /// <summary>Frees the bfloat16 copy.</summary>
    public void Dispose() => replica.Dispose();
}
