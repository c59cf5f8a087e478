using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Packs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers FlexiDiT as the application's <see cref="IImageGenerator"/>, with its governance services.</summary>
public static class FlexiDiTServiceCollectionExtensions
{
    /// <summary>
    /// Registers FlexiDiT with the defaults: the shipped pack (<c>ModelPack.Find()</c>: a <c>FlexiDiT.Models.*</c> package
    /// puts it next to the program), the policies (a <c>policies</c> folder next to the program or above the current
    /// directory, else the built-in defaults), and the SQLite ledger in the user's data folder
    /// (<c>LocalApplicationData/FlexiDiT</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The image generator builder, to chain <c>.UseLogging()</c>, <c>.UseOpenTelemetry()</c> and the like.</returns>
    public static ImageGeneratorBuilder AddFlexiDiT(this IServiceCollection services) => services.AddFlexiDiT(static _ => { });

    /// <summary>Registers FlexiDiT, configured by <paramref name="configure"/>.</summary>
    /// <remarks>
    /// <para>Registers as singletons: <see cref="FlexiDiTRuntime"/>, <see cref="FlexiDiTImageGenerator"/>, the default
    /// pack's <see cref="FlexiDiTModel"/>, <see cref="ModelPack"/>, <see cref="PlanTable"/>, <see cref="LatencyModel"/> and
    /// <see cref="ComputePolicyEngine"/>, and the shared <see cref="PolicySet"/> and <see cref="BudgetLedger"/>, so other
    /// components (a Semantic Kernel plugin, a server) can quote estimates and read budgets that match what the
    /// generator does. The <see cref="IImageGenerator"/> is the pipeline the returned builder builds.</para>
    /// <para>Resolving any of them is cheap: no model weights load until the first generation. Resolving the
    /// <see cref="ComputePolicyEngine"/> reads the pack's plans and latency model, and calibrates once (seconds) when the
    /// machine has no latency model for the pack yet.</para>
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The image generator builder, to chain <c>.UseLogging()</c>, <c>.UseOpenTelemetry()</c> and the like.</returns>
    public static ImageGeneratorBuilder AddFlexiDiT(this IServiceCollection services, Action<FlexiDiTOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<FlexiDiTOptions>().Configure(configure);
        services.TryAddSingleton(sp => new FlexiDiTRuntime(sp.GetRequiredService<IOptions<FlexiDiTOptions>>().Value, sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTRuntime>().Policies);
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTRuntime>().Ledger);
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTRuntime>().DefaultModel);
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTModel>().Pack);
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTModel>().PlanTable);
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTModel>().Latency);
        services.TryAddSingleton(sp => sp.GetRequiredService<FlexiDiTModel>().PolicyEngine);
        services.TryAddSingleton(sp => new FlexiDiTImageGenerator(sp.GetRequiredService<FlexiDiTRuntime>()));
        return services.AddImageGenerator(sp => sp.GetRequiredService<FlexiDiTImageGenerator>());
    }
}
