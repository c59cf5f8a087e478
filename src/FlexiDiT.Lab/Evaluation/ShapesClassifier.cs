using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Evaluation;

/// <summary>
/// A small CNN trained on Shapes: it judges generated images (class = shape × colour) and its penultimate
/// layer is the feature space of the Fréchet distance (the role Inception plays in FID).
/// </summary>
public sealed class ShapesClassifier : nn.Module
{
    /// <summary>Width of the feature layer.</summary>
    public const int FeatureSize = 32;
    private readonly Sequential features;
    private readonly Linear head;

    /// <summary>Creates an untrained classifier.</summary>
    public ShapesClassifier() : base("classifier")
    {
        features = nn.Sequential(
            ("conv1", nn.Conv2d(3, 32, 3, padding: 1)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(32, 32, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(32, 64, 3, padding: 1)), ("relu3", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("conv4", nn.Conv2d(64, 64, 3, padding: 1)), ("relu4", nn.ReLU()), ("pool3", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(64 * 4 * 4, FeatureSize)), ("relu5", nn.ReLU()));
        head = nn.Linear(FeatureSize, ShapesDataset.NumClasses);
        RegisterComponents();
    }

    /// <summary>Features (N, 64) of images (N, 3, 32, 32) in [-1, 1].</summary>
    public Tensor Features(Tensor images) => features.forward(images);

    /// <summary>Class logits (N, 40).</summary>
    public Tensor Logits(Tensor images) => head.forward(Features(images));

    /// <summary>Predicted classes of a batch of images.</summary>
    public long[] Predict(Tensor images)
    {
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        return PredictFromFeatures(Features(images));
    }

    /// <summary>Predicted classes from <see cref="Features"/> already computed (the evaluation needs both).</summary>
    public long[] PredictFromFeatures(Tensor features)
    {
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        return head.forward(features).argmax(1).data<long>().ToArray();
    }

    /// <summary>Trains on fresh Shapes samples (with small colour/noise jitter so generated images are judged fairly).</summary>
    public static ShapesClassifier Train(int steps, int batch, long seed, TextWriter? log = null)
    {
        var model = new ShapesClassifier();
        var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3);
        var data = new ShapesDataset(seed);
        var generator = new Generator((ulong)seed);
        model.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var (images, labels, _) = data.Batch((long)step * batch, batch);
            images = images + 0.05 * torch.randn(images.shape, generator: generator);
            var loss = F.cross_entropy(model.Logits(images), labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            if (log is not null && (step + 1) % 100 == 0) log.WriteLine($"classifier step {step + 1}/{steps} loss {loss.item<float>():F4}");
        }
        model.eval();
        return model;
    }

    /// <summary>Accuracy on <paramref name="count"/> held-out Shapes images.</summary>
    public double Accuracy(long seed, int count)
    {
        var (images, labels, _) = new ShapesDataset(seed).Batch(0, count);
        long[] predicted = Predict(images);
        long[] truth = labels.data<long>().ToArray();
        return predicted.Zip(truth).Count(p => p.First == p.Second) / (double)count;
    }

    /// <summary>Saves the weights as safetensors.</summary>
    public void Save(string path) => SafetensorsFile.Write(path, state_dict());

    /// <summary>Loads weights saved by <see cref="Save"/>.</summary>
    public static ShapesClassifier Load(string path)
    {
        var model = new ShapesClassifier();
        DiTCheckpoint.LoadInto(model, StateDictReader.Read(path), path);
        model.eval();
        return model;
    }
}
