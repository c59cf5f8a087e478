using System.Diagnostics;
using FlexiDiT.Benchmarks;
using FlexiDiT.Models;
using FlexiDiT.Profiling;

namespace FlexiDiT.Tests.Benchmarks;

/// <summary>bench --profile: where a forward's time goes, part by part, adding up to the forward.</summary>
public class ForwardProfileTests
{
    private static readonly DiTConfig Tiny = new() { InputSize = 8, PatchSize = 2, InChannels = 4, HiddenSize = 32, Depth = 2, NumHeads = 2, NumClasses = 10 };

    [Fact]
    public void The_parts_of_a_profiled_forward_sum_to_the_forward_and_each_block_part_is_booked_once_per_block()
    {
        var results = ForwardBenchmark.Run(Tiny, batch: 1, warmup: 1, repeats: 4, profile: true);

        Assert.Equal([2, 4], results.Select(r => r.PatchSize));
        foreach (var result in results)
        {
            var profile = result.Profile!;
            Assert.Equal(2, profile.Forwards);
            Assert.Equal(Enum.GetNames<ForwardOp>(), profile.Parts.Select(p => p.Op));
            Assert.All(profile.Parts, p => Assert.True(p.Ms >= 0, $"{p.Op}: {p.Ms} ms"));
            Assert.Equal(profile.ForwardMs, profile.Parts.Sum(p => p.Ms), 1e-9 * profile.ForwardMs);
            Assert.Equal(100, profile.Parts.Sum(p => p.Percent), 1e-6);
            // The profile averages the faster half of the timed forwards.
            Assert.InRange(profile.ForwardMs, result.MinMs, result.MedianMs);

            double Calls(ForwardOp op) => profile.Parts.Single(p => p.Op == op.ToString()).CallsPerForward;
            foreach (var perBlock in new[] { ForwardOp.QkvLinear, ForwardOp.AttentionCore, ForwardOp.AttentionProj, ForwardOp.MlpFc1, ForwardOp.MlpFc2 })
                Assert.Equal(Tiny.Depth, Calls(perBlock));
            // The packed kernel applies GELU to fc1's product; elsewhere it is a pass of its own.
            Assert.Equal(FlexiDiT.Engine.CpuLinear.UsesPackedWeights ? 0 : Tiny.Depth, Calls(ForwardOp.Gelu));
            // The packed kernel adds the gated update into the residual stream as it multiplies; elsewhere it is a pass of its own.
            Assert.Equal(FlexiDiT.Engine.CpuLinear.UsesPackedWeights ? 0 : 2 * Tiny.Depth, Calls(ForwardOp.GateResidual));
            // Two norms and modulations per block and one in the final layer; adaLN per block and the final layer's.
            Assert.Equal(2 * Tiny.Depth + 1, Calls(ForwardOp.Norm));
            // With the packed kernel the modulation is part of the norm's pass.
            Assert.Equal(FlexiDiT.Engine.CpuLinear.UsesPackedWeights ? 0 : 2 * Tiny.Depth + 1, Calls(ForwardOp.Modulate));
            // adaLN: per block and the final layer's, or, with packed weights, every block's in one product and the final layer's.
            Assert.Equal(FlexiDiT.Engine.CpuLinear.UsesPackedWeights ? 2 : Tiny.Depth + 1, Calls(ForwardOp.AdaLnModulation));
            Assert.All(new[] { ForwardOp.PatchEmbed, ForwardOp.Conditioning, ForwardOp.FinalLinear, ForwardOp.Unpatchify }, op => Assert.Equal(1, Calls(op)));
        }
    }

    [Fact]
    public void A_profiled_PixArt_forward_books_its_cross_attention_once_per_block_and_its_parts_sum_to_the_forward()
    {
        var config = new PixArtConfig { InputSize = 8, PatchSize = 2, InChannels = 4, HiddenSize = 32, Depth = 2, NumHeads = 2, CaptionChannels = 16, ModelMaxLength = 5 };

        var results = ForwardBenchmark.Run(config, batch: 1, warmup: 1, repeats: 4, profile: true);

        Assert.Equal([2, 4], results.Select(r => r.PatchSize));
        foreach (var profile in results.Select(r => r.Profile!))
        {
            Assert.Equal(profile.ForwardMs, profile.Parts.Sum(p => p.Ms), 1e-9 * profile.ForwardMs);
            double Calls(ForwardOp op) => profile.Parts.Single(p => p.Op == op.ToString()).CallsPerForward;
            foreach (var perBlock in new[] { ForwardOp.QkvLinear, ForwardOp.AttentionCore, ForwardOp.AttentionProj, ForwardOp.CrossAttention, ForwardOp.MlpFc1, ForwardOp.MlpFc2 })
                Assert.Equal(config.Depth, Calls(perBlock));
            // The shared t_block product, then each block's table added to it.
            Assert.Equal(config.Depth + 1, Calls(ForwardOp.AdaLnModulation));
            Assert.All(new[] { ForwardOp.PatchEmbed, ForwardOp.Conditioning, ForwardOp.FinalLinear, ForwardOp.Unpatchify }, op => Assert.Equal(1, Calls(op)));
        }
    }

    [Fact]
    public void Without_profile_no_profile_is_reported()
    {
        var results = ForwardBenchmark.Run(Tiny, batch: 1, warmup: 0, repeats: 1);

        Assert.All(results, r => Assert.Null(r.Profile));
    }

    [Fact]
    public void A_part_inside_another_is_booked_to_itself_only_so_the_parts_never_exceed_the_wall_time()
    {
        using var profiler = OpProfiler.Start();
        var wall = SpinNested(ForwardOp.AttentionProj, ForwardOp.MlpFc1);

        Assert.Equal(1, profiler.Calls(ForwardOp.AttentionProj));
        Assert.Equal(1, profiler.Calls(ForwardOp.MlpFc1));
        Assert.True(profiler.Elapsed(ForwardOp.MlpFc1) > TimeSpan.Zero);
        Assert.True(profiler.Elapsed(ForwardOp.AttentionProj) + profiler.Elapsed(ForwardOp.MlpFc1) <= wall);
        profiler.Reset();
        Assert.Equal(TimeSpan.Zero, profiler.Elapsed(ForwardOp.MlpFc1));
        Assert.Equal(0, profiler.Calls(ForwardOp.AttentionProj));
    }

    [Fact]
    public void A_part_inside_a_part_of_the_same_kind_is_one_call_of_it_with_all_its_time()
    {
        using var profiler = OpProfiler.Start();
        var wall = SpinNested(ForwardOp.Conditioning, ForwardOp.Conditioning);

        Assert.Equal(1, profiler.Calls(ForwardOp.Conditioning));
        Assert.InRange(profiler.Elapsed(ForwardOp.Conditioning), wall * 0.5, wall);
    }

    [Fact]
    public void A_second_profiler_on_the_same_thread_is_refused_until_the_first_is_disposed()
    {
        using (OpProfiler.Start())
        {
            var error = Assert.Throws<InvalidOperationException>(OpProfiler.Start);
            Assert.Contains("already runs on this thread", error.Message, StringComparison.Ordinal);
        }
        using var again = OpProfiler.Start();
    }

    // Spins inside a measured outer part, then inside an inner part nested in it; returns the wall time of the whole.
    private static TimeSpan SpinNested(ForwardOp outer, ForwardOp inner)
    {
        var wall = Stopwatch.StartNew();
        using (OpProfiler.Measure(outer))
        {
            Thread.SpinWait(20_000);
            using (OpProfiler.Measure(inner)) Thread.SpinWait(20_000);
        }

        return wall.Elapsed;
    }
}
