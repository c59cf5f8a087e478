namespace FlexiDiT.Training;

/// <summary>Which loss fine-tunes the weak patch size.</summary>
public enum ConversionLoss
{
    /// <summary>‖ε(x_t; weak) − ε(x_t; powerful)‖² against the frozen original (the method's distillation).</summary>
    Distill,
    /// <summary>DiT's own denoising loss on data.</summary>
    Denoise,
    /// <summary>The sum of both.</summary>
    Both,
    /// <summary>
    /// Distillation of what sampling uses: the classifier-free-guided output u + s(c − u) as well as the conditional
    /// and unconditional branches. Guidance multiplies the branches' difference, which carries the class, by s, so
    /// errors there matter s times more than plain distillation weighs them.
    /// </summary>
    Guided,
}
