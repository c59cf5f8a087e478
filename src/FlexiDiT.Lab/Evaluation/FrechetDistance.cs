using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Evaluation;

/// <summary>
/// The Fréchet distance between Gaussians fitted to two feature sets (as FID):
/// ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½), in float64; tr((Σ₁Σ₂)^½) is the sum of the square roots of the
/// eigenvalues of Σ₁^½ Σ₂ Σ₁^½, which is symmetric, so no non-symmetric matrix square root is needed.
/// </summary>
public static class FrechetDistance
{
    /// <summary>Mean and covariance of features (N, D).</summary>
    public static (Tensor Mean, Tensor Covariance) Statistics(Tensor features)
    {
        var f = features.to(float64);
        var mean = f.mean([0]);
        var centered = f - mean;
        return (mean, centered.t().matmul(centered) / (f.shape[0] - 1));
    }

    /// <summary>The distance between two fitted Gaussians.</summary>
    public static double Compute(Tensor mean1, Tensor cov1, Tensor mean2, Tensor cov2)
    {
        using var scope = torch.NewDisposeScope();
        var (values1, vectors1) = torch.linalg.eigh(cov1);
        var sqrt1 = vectors1.matmul(torch.diag(values1.clamp(min: 0).sqrt())).matmul(vectors1.t());
        var middle = sqrt1.matmul(cov2).matmul(sqrt1);
        var traceSqrt = torch.linalg.eigvalsh((middle + middle.t()) / 2).clamp(min: 0).sqrt().sum().item<double>();
        var meanTerm = (mean1 - mean2).pow(2).sum().item<double>();
        return meanTerm + cov1.trace().item<double>() + cov2.trace().item<double>() - 2 * traceSqrt;
    }

    /// <summary>The distance between two feature sets.</summary>
    public static double Compute(Tensor features1, Tensor features2)
    {
        var (m1, c1) = Statistics(features1);
        var (m2, c2) = Statistics(features2);
        return Compute(m1, c1, m2, c2);
    }
}
