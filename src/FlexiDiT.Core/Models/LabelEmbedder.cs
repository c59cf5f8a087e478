using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>Class labels → vectors; the extra last row is the null class of classifier-free guidance.</summary>
public sealed class LabelEmbedder : nn.Module
{
    private readonly Embedding embedding_table;
    private readonly int numClasses;
    private readonly double dropoutProb;

    /// <summary>Creates the table (one more row when label dropout is used).</summary>
    public LabelEmbedder(int numClasses, int hidden, double dropoutProb) : base("y_embedder")
    {
        this.numClasses = numClasses;
        this.dropoutProb = dropoutProb;
        embedding_table = nn.Embedding(numClasses + (dropoutProb > 0 ? 1 : 0), hidden);
        RegisterComponents();
    }

    /// <summary>Replaces labels by the null class with the training dropout probability.</summary>
    public Tensor DropLabels(Tensor labels, Generator? generator = null) =>
        DropLabels(labels, DropMask(labels.shape[0], labels.device, generator));

    /// <summary>Which of <paramref name="count"/> samples lose their label (true) with the training dropout probability.</summary>
    public Tensor DropMask(long count, Device? device = null, Generator? generator = null) =>
        torch.rand(count, generator: generator, device: device) < dropoutProb;

    /// <summary>Replaces the labels where <paramref name="drop"/> is true by the null class.</summary>
    public Tensor DropLabels(Tensor labels, Tensor drop) => torch.where(drop, torch.full_like(labels, numClasses), labels);

    /// <summary>Looks up the labels' embeddings.</summary>
    public Tensor Forward(Tensor labels) => embedding_table.forward(labels);
}
