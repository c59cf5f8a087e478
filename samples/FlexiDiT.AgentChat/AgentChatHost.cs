using FlexiDiT.Extensions.AI;
using FlexiDiT.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.AgentChat;

/// <summary>The sample's composition: the three lines of DI an agent author writes, plus logging.</summary>
public static class AgentChatHost
{
    /// <summary>Builds the services: FlexiDiT (generator, policies, ledger), the image tools and the budget-aware agent.</summary>
    /// <param name="chatClient">The model.</param>
    /// <param name="configureFlexiDiT">Model pack, policies and ledger.</param>
    /// <param name="configureTools">Who pays and where images go.</param>
    /// <param name="loggerProvider">Where warnings go, if anywhere.</param>
    /// <returns>The service provider; resolve <see cref="BudgetAwareAgent"/> from it.</returns>
    public static ServiceProvider Build(
        IChatClient chatClient, Action<FlexiDiTOptions> configureFlexiDiT, Action<FlexiDiTToolOptions> configureTools, ILoggerProvider? loggerProvider = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new LoggerFactory(loggerProvider is null ? [] : [loggerProvider]));
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(chatClient);

        services.AddFlexiDiT(configureFlexiDiT);
        services.AddFlexiDiTImageTools(configureTools);
        services.AddFlexiDiTBudgetAgent();
        return services.BuildServiceProvider();
    }
}
