using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace FlexiDiT.SemanticKernel;

/// <summary>Adds the FlexiDiT image plugin and its budget filter to a kernel.</summary>
public static class FlexiDiTKernelExtensions
{
    /// <summary>Adds the image plugin and the <see cref="ImageBudgetFilter"/> to a kernel builder.</summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="tools">The tools.</param>
    /// <returns>The builder.</returns>
    public static IKernelBuilder AddFlexiDiTImages(this IKernelBuilder builder, FlexiDiTImageTools tools)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tools);
        var plugin = new FlexiDiTImagePlugin(tools);
        builder.Plugins.AddFromObject(plugin, FlexiDiTImagePlugin.PluginName);
        builder.Services.AddSingleton(sp => new ImageBudgetFilter(plugin, sp.GetService<ILogger<ImageBudgetFilter>>()));
        builder.Services.AddSingleton<IFunctionInvocationFilter>(sp => sp.GetRequiredService<ImageBudgetFilter>());
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(sp => sp.GetRequiredService<ImageBudgetFilter>());
        return builder;
    }

    /// <summary>Adds the image plugin and the <see cref="ImageBudgetFilter"/> to an existing kernel.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="tools">The tools.</param>
    /// <param name="logger">Where the filter logs stops.</param>
    /// <returns>The plugin added.</returns>
    public static FlexiDiTImagePlugin AddFlexiDiTImages(this Kernel kernel, FlexiDiTImageTools tools, ILogger<ImageBudgetFilter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(tools);
        var plugin = new FlexiDiTImagePlugin(tools);
        kernel.Plugins.AddFromObject(plugin, FlexiDiTImagePlugin.PluginName);
        var filter = new ImageBudgetFilter(plugin, logger);
        kernel.FunctionInvocationFilters.Add(filter);
        kernel.AutoFunctionInvocationFilters.Add(filter);
        return plugin;
    }
}
