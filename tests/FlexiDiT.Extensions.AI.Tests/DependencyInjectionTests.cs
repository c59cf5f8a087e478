using System.Collections.Concurrent;
using System.Diagnostics;
using FlexiDiT.Extensions.AI.Tests.Support;
using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary><c>AddFlexiDiT</c> and MEAI middleware (logging, OpenTelemetry) around the generator.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class DependencyInjectionTests(TinyFlexiDiTPack pack)
{
    [Fact]
    public async Task AddFlexiDiT_resolves_an_image_generator_that_makes_pngs_and_shares_its_governance_singletons()
    {
        var services = new ServiceCollection();
        services.AddFlexiDiT(pack.Configure);
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IImageGenerator>();
        var runtime = provider.GetRequiredService<FlexiDiTRuntime>();
        Assert.Null(runtime.DefaultModel.LoadedEngine);

        var response = await generator.GenerateImagesAsync("a blue circle");

        var image = Assert.IsType<DataContent>(Assert.Single(response.Contents));
        Assert.Equal("image/png", SixLabors.ImageSharp.Image.DetectFormat(image.Data.ToArray()).DefaultMimeType);
        Assert.Same(runtime, generator.GetService<FlexiDiTRuntime>());
        Assert.Same(runtime.DefaultModel.PolicyEngine, provider.GetRequiredService<ComputePolicyEngine>());
        Assert.Same(runtime.DefaultModel.Latency, provider.GetRequiredService<LatencyModel>());
        Assert.Same(runtime.Policies, provider.GetRequiredService<PolicySet>());
        Assert.Equal(TinyFlexiDiTPack.Name, provider.GetRequiredService<FlexiDiT.Packs.ModelPack>().Name);
        Assert.Equal(["cheap", "weak", "full"], provider.GetRequiredService<ComputePolicyEngine>().Estimate("draft", 1).Select(e => e.PlanName));

        var spent = (await provider.GetRequiredService<BudgetLedger>().GetStatusAsync(TinyFlexiDiTPack.Tenant)).Tenant.Spent;
        Assert.Equal(response.GetFlexiDiTReport()!.Cost, spent);
    }

    [Fact]
    public async Task The_builder_AddFlexiDiT_returns_chains_logging_from_the_container()
    {
        var logs = new RecordingLoggerFactory();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddFlexiDiT(pack.Configure).UseLogging();
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IImageGenerator>();
        await generator.GenerateImagesAsync("a red circle");

        Assert.IsType<LoggingImageGenerator>(generator);
        Assert.Contains(logs.Entries, e => e.Message.Contains("GenerateAsync completed", StringComparison.Ordinal));

        // The runtime logs through the same factory: the policy decision and the ledger's commit.
        Assert.Contains(logs.Entries, e => e.Category.EndsWith(nameof(ComputePolicyEngine), StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Category.EndsWith(nameof(BudgetLedger), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logging_and_OpenTelemetry_middleware_see_the_provider_and_model_through_metadata()
    {
        var logs = new RecordingLoggerFactory();
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Experimental.Microsoft.Extensions.AI",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var inner = new FlexiDiTImageGenerator(pack.CreateOptions());
        using var generator = new ImageGeneratorBuilder(inner).UseLogging(logs).UseOpenTelemetry().Build();

        var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithMode("weak"));

        Assert.Equal("weak", response.GetFlexiDiTReport()!.Mode);
        Assert.Contains(logs.Entries, e => e.Message.Contains("GenerateAsync invoked: Prompt: a red circle", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("GenerateAsync completed", StringComparison.Ordinal));
        var activity = Assert.Single(activities, a => Equals(a.GetTagItem("gen_ai.provider.name"), FlexiDiTImageGenerator.ProviderName));
        Assert.Equal(TinyFlexiDiTPack.Name, activity.GetTagItem("gen_ai.request.model"));

        var metadata = generator.GetService<ImageGeneratorMetadata>()!;
        Assert.Equal((FlexiDiTImageGenerator.ProviderName, TinyFlexiDiTPack.Name), (metadata.ProviderName, metadata.DefaultModelId));
    }

    [Fact]
    public void AddFlexiDiT_without_arguments_uses_the_policies_the_build_copied_next_to_the_program()
    {
        var services = new ServiceCollection();
        services.AddFlexiDiT();
        using var provider = services.BuildServiceProvider();

        // Resolving the generator loads nothing, so it works before any model pack exists.
        var generator = provider.GetRequiredService<IImageGenerator>();
        var runtime = generator.GetRequiredService<FlexiDiTRuntime>();
        Assert.Null(runtime.DefaultModel.LoadedEngine);
        Assert.Equal(LedgerPaths.DefaultDatabasePath(), runtime.LedgerPath);

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, FlexiDiTPaths.PoliciesFolderName), FlexiDiTPaths.FindPoliciesFolder());
        var policies = provider.GetRequiredService<PolicySet>();
        Assert.Contains("draft", policies.Tasks.Keys);
        Assert.NotNull(policies.FindTenant("local"));
        Assert.Equal("draft", runtime.Options.DefaultTaskType);
        Assert.Equal("local", runtime.Options.DefaultTenant);
    }
}
