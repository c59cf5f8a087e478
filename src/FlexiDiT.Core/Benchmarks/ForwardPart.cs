namespace FlexiDiT.Benchmarks;

/// <summary>One kind of work's share of a forward (a <see cref="Profiling.ForwardOp"/>).</summary>
/// <param name="Op">The kind of work (a <see cref="Profiling.ForwardOp"/> name).</param>
/// <param name="Ms">Milliseconds per forward.</param>
/// <param name="Percent">Share of the forward's time.</param>
/// <param name="CallsPerForward">How many parts of this kind one forward runs (e.g. one per block).</param>
public sealed record ForwardPart(string Op, double Ms, double Percent, double CallsPerForward);
