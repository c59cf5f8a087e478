using System.Text.Json.Serialization;

namespace FlexiDiT.Sampling;

/// <summary>The solver a plan runs.</summary>
public enum SolverKind
{
    /// <summary>Ancestral sampling (the official default).</summary>
    Ddpm,
    /// <summary>DDIM with a stochasticity eta.</summary>
    Ddim,
    /// <summary>
    /// Multistep DPM-Solver++ of order 2 (<see cref="DpmSolverPlusPlus"/>, PixArt-α's default), deterministic; the
    /// plan's respacing is then its number of steps, a plain count such as <c>"20"</c>. Written <c>dpm-solver++</c> in plan files.
    /// </summary>
    [JsonStringEnumMemberName("dpm-solver++")]
    DpmSolverPlusPlus,
}
