using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>One forward the run needs: inputs for the model at one patch size.</summary>
public sealed record ForwardRequest(Tensor X, Tensor T, ModelCondition Condition, int PatchSize);
