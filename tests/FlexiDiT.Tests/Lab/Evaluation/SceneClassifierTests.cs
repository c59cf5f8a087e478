using FlexiDiT.Data.Scenes;
using FlexiDiT.Evaluation;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>The scene attribute classifier learns from rendered scenes and round-trips through its file.</summary>
public sealed class SceneClassifierTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-scene-classifier").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_few_steps_of_training_beat_chance_and_the_saved_file_predicts_the_same()
    {
        TorchSharp.torch.manual_seed(1);
        using var classifier = SceneClassifier.Train(steps: 80, batch: 32, seed: 3);
        var accuracy = classifier.Accuracy(seed: 99, count: 256);
        Assert.Equal(256, accuracy.Count);
        // Chance is 1/2 for the background and 1/9 for the position; a few seconds of training get well past both.
        Assert.True(accuracy.PerAttribute[SceneAttribute.Background] > 0.8, accuracy.ToString());
        Assert.True(accuracy.PerAttribute[SceneAttribute.Position] > 0.3, accuracy.ToString());

        string path = Path.Combine(dir, "scenes.safetensors");
        classifier.Save(path);
        using var loaded = SceneClassifier.Load(path);
        var batch = new SceneDataset(5).Batch(0, 16);
        using (batch.Images) Assert.Equal(classifier.Predict(batch.Images), loaded.Predict(batch.Images));
        Assert.Throws<ArgumentException>(() => classifier.Predict(TorchSharp.torch.zeros(2, 3, 16, 16)));
    }
}
