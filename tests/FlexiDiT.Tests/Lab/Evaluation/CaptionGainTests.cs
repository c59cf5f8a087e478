using FlexiDiT.Checkpoints;
using FlexiDiT.Evaluation;
using FlexiDiT.Tests.Training;
using TorchSharp;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>The caption-gain probe tells a model that reads its captions from one that cannot.</summary>
public sealed class CaptionGainTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("caption-gain").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_model_whose_caption_path_is_cut_scores_exactly_one_and_a_connected_one_does_not()
    {
        using var model = TextToImageCheckpoint.Load(TinyTextToImage.Write(Path.Combine(folder, "tiny.safetensors")));
        var connected = CaptionGain.Measure(model, count: 6);
        Assert.Equal(CaptionGain.DefaultTimesteps, connected.Select(l => l.Timestep));
        Assert.All(connected, l => Assert.True(l.OwnCaption > 0 && double.IsFinite(l.Ratio)));
        Assert.Contains(connected, l => Math.Abs(l.Ratio - 1) > 1e-4);
        Assert.Equal(connected, CaptionGain.Measure(model, count: 6));

        // The tiny model has no pooled caption, so cross-attention's output projection is its only way to the caption.
        using (torch.no_grad())
        {
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("cross_attn.proj")))
                p.zero_();
        }

        Assert.All(CaptionGain.Measure(model, count: 6), l => Assert.Equal(1.0, l.Ratio));
    }

    [Fact]
    public void Fewer_than_two_scenes_or_a_timestep_outside_the_schedule_is_refused()
    {
        using var model = TextToImageCheckpoint.Load(TinyTextToImage.Write(Path.Combine(folder, "tiny.safetensors")));
        Assert.Throws<ArgumentOutOfRangeException>(() => CaptionGain.Measure(model, count: 1));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => CaptionGain.Measure(model, count: 4, timesteps: [1000]));
        Assert.Contains("0 to 999", error.Message);
    }
}
