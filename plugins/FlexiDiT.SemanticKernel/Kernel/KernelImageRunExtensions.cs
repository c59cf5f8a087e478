using Microsoft.SemanticKernel;

namespace FlexiDiT.SemanticKernel;

/// <summary>Attaches an <see cref="ImageRun"/> to a <see cref="Kernel"/>, so the plugin and the filter share one run's caps.</summary>
public static class KernelImageRunExtensions
{
    /// <summary>The <see cref="Kernel.Data"/> key of the run.</summary>
    public const string RunKey = "flexidit.image_run";

    /// <summary>Attaches a run to the kernel; use one kernel (or a <see cref="Kernel.Clone"/>) per run.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="run">The run.</param>
    /// <returns>The run.</returns>
    public static ImageRun AttachImageRun(this Kernel kernel, ImageRun run)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(run);
        kernel.Data[RunKey] = run;
        return run;
    }

    /// <summary>Gets the run attached to the kernel, if any.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <returns>The run, or <see langword="null"/>.</returns>
    public static ImageRun? GetImageRun(this Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.Data.TryGetValue(RunKey, out var value) ? value as ImageRun : null;
    }
}
