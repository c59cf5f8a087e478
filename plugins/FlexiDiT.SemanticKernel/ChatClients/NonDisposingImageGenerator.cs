using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// Passes calls through but not disposal: MEAI's image-generating chat client disposes its generator with itself,
/// and the FlexiDiT generator (with its loaded model) is a shared singleton that must outlive any one chat client.
/// </summary>
internal sealed class NonDisposingImageGenerator(IImageGenerator inner) : DelegatingImageGenerator(inner)
{
    protected override void Dispose(bool disposing)
    {
        // Deliberately not disposing the inner generator; its owner does.
    }
}
