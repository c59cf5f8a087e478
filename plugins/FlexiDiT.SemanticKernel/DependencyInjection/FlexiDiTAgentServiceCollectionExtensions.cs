using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.SemanticKernel;

/// <summary>Registers the agent-facing FlexiDiT services.</summary>
public static class FlexiDiTAgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FlexiDiTImageTools"/> as a singleton over the <see cref="IImageGenerator"/>,
    /// <see cref="ComputePolicyEngine"/> and <see cref="BudgetLedger"/> already registered (e.g. by <c>AddFlexiDiT</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets who pays and where images go.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFlexiDiTImageTools(this IServiceCollection services, Action<FlexiDiTToolOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp =>
        {
            var options = new FlexiDiTToolOptions();
            configure?.Invoke(options);
            return new FlexiDiTImageTools(
                sp.GetRequiredService<IImageGenerator>(),
                sp.GetRequiredService<ComputePolicyEngine>(),
                sp.GetRequiredService<BudgetLedger>(),
                options,
                sp.GetService<ILogger<FlexiDiTImageTools>>());
        });
        return services;
    }

    /// <summary>Registers the <see cref="BudgetAwareAgent"/> as a singleton over the registered <see cref="IChatClient"/> and image tools.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the agent's options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFlexiDiTBudgetAgent(this IServiceCollection services, Action<BudgetAwareAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp =>
        {
            var options = new BudgetAwareAgentOptions();
            configure?.Invoke(options);
            return new BudgetAwareAgent(
                sp.GetRequiredService<IChatClient>(),
                sp.GetRequiredService<FlexiDiTImageTools>(),
                options,
                sp.GetService<ILoggerFactory>());
        });
        return services;
    }
}
