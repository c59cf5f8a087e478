using FlexiDiT.Extensions.AI;
using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel;

/// <summary>Wires the FlexiDiT generator into MEAI's hosted image generation tool.</summary>
public static class FlexiDiTChatClientBuilderExtensions
{
    /// <summary>
    /// Lets any chat model generate images with FlexiDiT when <see cref="HostedImageGenerationTool"/> is among its
    /// tools (<c>UseImageGeneration</c>), charging the given tenant. Put <c>UseFunctionInvocation()</c> after this call,
    /// so it sits inside and runs the functions the image tool becomes.
    /// </summary>
    /// <param name="builder">The chat client builder.</param>
    /// <param name="generator">The FlexiDiT generator (or any <see cref="IImageGenerator"/>); it is not disposed with the chat client.</param>
    /// <param name="tenantId">The tenant that pays; it overrides whatever the tool's options say.</param>
    /// <param name="userId">The user within the tenant, if any.</param>
    /// <param name="defaultTaskType">The task type when the tool's options name none.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseFlexiDiTImageGeneration(
        this ChatClientBuilder builder, IImageGenerator generator, string tenantId, string? userId = null, string defaultTaskType = "draft")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultTaskType);
        var configured = new NonDisposingImageGenerator(generator).AsBuilder()
            .ConfigureOptions(options =>
            {
                // The payer is the host's decision, never the model's or the tool definition's.
                options.WithTenant(tenantId, userId);
                if (options.GetTaskType() is null)
                {
                    options.WithTaskType(defaultTaskType);
                }
            })
            .Build();
        return builder.UseImageGeneration(configured);
    }
}
