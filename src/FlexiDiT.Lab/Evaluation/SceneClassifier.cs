using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Evaluation;

/// <summary>
/// The judge of the text-to-image scene model: one small CNN (three conv layers, about 3 M multiply-adds per image, so
/// it trains in minutes on one core) with a head per <see cref="SceneAttribute"/> (shape, colour, size, position,
/// background), trained on rendered scenes.
/// </summary>
public sealed class SceneClassifier : nn.Module
{
    /// <summary>Width of the shared feature layer.</summary>
    public const int FeatureSize = 64;
    private static readonly SceneAttribute[] Attributes = Enum.GetValues<SceneAttribute>();
    private readonly Sequential features;
    private readonly ModuleList<Linear> heads;

    /// <summary>Creates an untrained classifier.</summary>
    public SceneClassifier() : base("scene_classifier")
    {
        features = nn.Sequential(
            ("conv1", nn.Conv2d(3, 16, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(32, 64, 3, padding: 1)), ("relu3", nn.ReLU()), ("pool3", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(64 * 4 * 4, FeatureSize)), ("relu5", nn.ReLU()));
        heads = nn.ModuleList(Attributes.Select(a => nn.Linear(FeatureSize, SceneAttributes.Cardinality(a))).ToArray());
        RegisterComponents();
    }

    /// <summary>Logits per attribute, in <see cref="SceneAttribute"/> order, of images (N, 3, 32, 32) in [-1, 1].</summary>
    public Tensor[] Logits(Tensor images)
    {
        var shared = Features(images);
        return heads.Select(h => h.forward(shared)).ToArray();
    }

    /// <summary>
    /// The shared features (N, <see cref="FeatureSize"/>) of images (N, 3, 32, 32) in [-1, 1]: the space the evaluation's
    /// Fréchet distance is measured in.
    /// </summary>
    public Tensor Features(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != ShapesDataset.ImageSize || images.shape[3] != ShapesDataset.ImageSize)
            throw new ArgumentException($"Expected images (N, 3, {ShapesDataset.ImageSize}, {ShapesDataset.ImageSize}); got [{string.Join(", ", images.shape)}].", nameof(images));
        return features.forward(images);
    }

    /// <summary>The attributes the classifier sees in each image.</summary>
    public SceneAttributes[] Predict(Tensor images)
    {
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        return PredictFromFeatures(Features(images));
    }

    /// <summary>The attributes the classifier sees in images whose <see cref="Features"/> are <paramref name="shared"/>.</summary>
    public SceneAttributes[] PredictFromFeatures(Tensor shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var predicted = heads.Select(h => h.forward(shared).argmax(1).data<long>().ToArray()).ToArray();
        return Enumerable.Range(0, (int)shared.shape[0]).Select(i => SceneAttributes.FromIndices(
            (int)predicted[0][i], (int)predicted[1][i], (int)predicted[2][i], (int)predicted[3][i], (int)predicted[4][i])).ToArray();
    }

    /// <summary>
    /// Trains on fresh scenes of data seed <paramref name="seed"/> (with a little pixel noise so generated images,
    /// which are never exact, are judged fairly); the loss is the sum of the heads' cross-entropies.
    /// </summary>
    public static SceneClassifier Train(int steps, int batch, long seed, TextWriter? log = null, double learningRate = 2e-3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        var model = new SceneClassifier();
        var optimizer = torch.optim.Adam(model.parameters(), lr: learningRate);
        var data = new SceneDataset(seed);
        var generator = new Generator((ulong)seed);
        model.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var samples = data.Batch((long)step * batch, batch);
            var images = samples.Images + 0.05 * torch.randn(samples.Images.shape, generator: generator);
            var logits = model.Logits(images);
            Tensor loss = torch.zeros(1);
            for (int a = 0; a < Attributes.Length; a++)
                loss = loss + F.cross_entropy(logits[a], torch.tensor(samples.Samples.Select(s => (long)s.Scene[Attributes[a]]).ToArray()));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            if (log is not null && (step + 1) % 100 == 0) log.WriteLine($"scene classifier step {step + 1}/{steps} loss {loss.item<float>():F4}");
        }
        model.eval();
        return model;
    }

    /// <summary>Accuracy on <paramref name="count"/> scenes of data seed <paramref name="seed"/> (use one training never saw).</summary>
    public SceneAccuracy Accuracy(long seed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var data = new SceneDataset(seed);
        var correct = Attributes.ToDictionary(a => a, _ => 0);
        int allCorrect = 0;
        const int chunk = 256;
        for (int start = 0; start < count; start += chunk)
        {
            var batch = data.Batch(start, Math.Min(chunk, count - start));
            using var images = batch.Images;
            var predicted = Predict(images);
            for (int i = 0; i < predicted.Length; i++)
            {
                var truth = batch.Samples[i].Scene;
                foreach (var a in Attributes) if (predicted[i][a] == truth[a]) correct[a]++;
                if (predicted[i] == truth) allCorrect++;
            }
        }
        return new SceneAccuracy(correct.ToDictionary(kv => kv.Key, kv => kv.Value / (double)count), allCorrect / (double)count, count);
    }

    /// <summary>Saves the weights as safetensors.</summary>
    public void Save(string path) => SafetensorsFile.Write(path, state_dict());

    /// <summary>Loads weights saved by <see cref="Save"/>.</summary>
    public static SceneClassifier Load(string path)
    {
        var model = new SceneClassifier();
        DiTCheckpoint.LoadInto(model, StateDictReader.Read(path), path);
        model.eval();
        return model;
    }
}
