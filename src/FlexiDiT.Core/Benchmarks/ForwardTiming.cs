namespace FlexiDiT.Benchmarks;

/// <summary>One patch size's forward timing.</summary>
/// <param name="PatchSize">Patch size.</param>
/// <param name="Tokens">Tokens per image.</param>
/// <param name="Batch">Images per forward.</param>
/// <param name="MedianMs">Median milliseconds per forward.</param>
/// <param name="MinMs">Fastest forward.</param>
/// <param name="Flops">FLOPs per forward (2 per multiply-add).</param>
/// <param name="GflopsPerSecond">Achieved GFLOP/s at the median.</param>
/// <param name="Precision">The floating-point type the forward ran in (float32 or bfloat16).</param>
/// <param name="Peer">The peer engine at this patch size, when one was given for it.</param>
/// <param name="Profile">Where the timed forwards' time went, when profiling was asked for.</param>
public sealed record ForwardTiming(int PatchSize, int Tokens, int Batch, double MedianMs, double MinMs, long Flops, double GflopsPerSecond,
    string Precision = "float32", PeerTiming? Peer = null, ForwardProfile? Profile = null);
