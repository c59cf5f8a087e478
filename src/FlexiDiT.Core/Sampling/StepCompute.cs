namespace FlexiDiT.Sampling;

/// <summary>What one denoising step computes: the conditional branch's patch size and the guidance signal.</summary>
/// <param name="CondPatch">Patch size of the conditional prediction.</param>
/// <param name="GuidancePatch">Patch size of the guidance signal (the unconditional, or the weak conditional, prediction).</param>
/// <param name="GuidanceIsWeakConditional">The guidance signal is the weak model's conditional prediction
/// ε(c; weak) instead of the unconditional ε(∅): ε(c; weak) + s·[ε(c; powerful) − ε(c; weak)].</param>
/// <param name="Guided">Whether this step is guided at all (in a guided plan); an unguided step runs the conditional branch only.</param>
public sealed record StepCompute(int CondPatch, int GuidancePatch, bool GuidanceIsWeakConditional = false, bool Guided = true);
