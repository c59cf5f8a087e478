using FlexiDiT.Benchmarks;
using FlexiDiT.Models;

namespace FlexiDiT.Tests.Benchmarks;

/// <summary>bench --peer: the peer runs alternately with ours at its own patch size only, and a mismatch is refused; PixArt's step is timed as a run runs it.</summary>
public class ForwardBenchmarkTests
{
    private static readonly DiTConfig Tiny = new() { InputSize = 8, PatchSize = 2, InChannels = 4, HiddenSize = 32, Depth = 1, NumHeads = 2, NumClasses = 10 };

    private sealed class CountingPeer(int patchSize) : IForwardPeer
    {
        public int Forwards { get; private set; }
        public string Engine => "counting peer";
        public int PatchSize => patchSize;
        public void Forward() => Forwards++;
    }

    [Fact]
    public void The_peer_runs_once_per_forward_of_ours_at_its_patch_size_and_is_reported_there_only()
    {
        var peer = new CountingPeer(4);

        var results = ForwardBenchmark.Run(Tiny, batch: 1, warmup: 1, repeats: 3, peer: peer);

        Assert.Equal(4, peer.Forwards);
        Assert.Null(results.Single(r => r.PatchSize == 2).Peer);
        var paired = results.Single(r => r.PatchSize == 4).Peer;
        Assert.NotNull(paired);
        Assert.Equal("counting peer", paired.Engine);
        Assert.True(paired.Speedup >= 0);
    }

    [Fact]
    public void A_peer_at_a_patch_size_the_model_lacks_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ForwardBenchmark.Run(Tiny, batch: 1, warmup: 0, repeats: 1, peer: new CountingPeer(8)));
        Assert.Contains("The peer runs patch size 8; this config has 2, 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PixArt_step_is_timed_with_the_caption_s_keys_and_values_kept_even_without_warm_up()
    {
        var config = new PixArtConfig { InputSize = 8, PatchSize = 2, InChannels = 4, HiddenSize = 32, Depth = 2, NumHeads = 2, CaptionChannels = 16, ModelMaxLength = 5 };

        var steps = ForwardBenchmark.Run(config, batch: 2, warmup: 0, repeats: 1);
        var firstSteps = ForwardBenchmark.Run(config, batch: 2, warmup: 0, repeats: 1, captionsKept: false);

        var flexi = config with { FlexiPatchSizes = [4] };
        Assert.Equal([2, 4], steps.Select(r => r.PatchSize));
        Assert.Equal(steps.Select(r => flexi.Flops(r.PatchSize, 2) - flexi.ConditionFlops(r.PatchSize, 2)), steps.Select(r => r.Flops));
        Assert.Equal(firstSteps.Select(r => flexi.Flops(r.PatchSize, 2)), firstSteps.Select(r => r.Flops));
    }

    [Fact]
    public void Without_a_policy_of_the_user_s_libtorch_s_OpenMP_threads_are_told_to_sleep_at_barriers()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 }) return;
        // Running a forward loads FlexiDiT.Core (whose module initializer sets the policy) and libtorch.
        ForwardBenchmark.Run(Tiny, batch: 1, warmup: 0, repeats: 1);
        Assert.Equal("PASSIVE", NativeEnvironmentReader.Get("OMP_WAIT_POLICY"));
    }
}
