namespace FlexiDiT.Benchmarks;

/// <summary>A peer engine's forward at one patch size, timed alternately with ours.</summary>
/// <param name="Engine">The peer's name and version.</param>
/// <param name="MedianMs">The peer's median milliseconds per forward.</param>
/// <param name="Speedup">
/// Median over pairs of (peer time / our time) for forwards run back to back: above 1 we are faster. Pairing cancels most
/// of the load other processes put on a shared machine.
/// </param>
public sealed record PeerTiming(string Engine, double MedianMs, double Speedup);
