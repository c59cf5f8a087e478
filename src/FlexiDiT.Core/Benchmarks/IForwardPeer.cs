namespace FlexiDiT.Benchmarks;

/// <summary>
/// Another engine running the same DiT forward (an exported official DiT in ONNX Runtime, say), timed by
/// <see cref="ForwardBenchmark"/> alternately with this engine's forward so that load from other processes falls on both.
/// </summary>
public interface IForwardPeer
{
    /// <summary>Gets the engine's name and version, for reports.</summary>
    string Engine { get; }

    /// <summary>Gets the patch size the peer's model runs (its forward is compared with ours at that size).</summary>
    int PatchSize { get; }

    /// <summary>Runs one forward on the peer's own inputs, returning when its outputs are ready.</summary>
    void Forward();
}
