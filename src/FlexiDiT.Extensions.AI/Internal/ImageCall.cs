using System.Drawing;
using System.Globalization;
using FlexiDiT.Imaging;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI.Internal;

/// <summary>
/// A generation call whose request and options were checked once, where they enter the generator (<see cref="From"/>):
/// the generator and the governed run take its values as they are. Every refusal is an <see cref="ArgumentException"/>
/// (or <see cref="NotSupportedException"/>) whose <see cref="ArgumentException.ParamName"/> is the field to fix: an
/// <see cref="ImageGenerationRequest"/> or <see cref="ImageGenerationOptions"/> property, or a
/// <see cref="FlexiDiTGenerationOptions"/> key.
/// </summary>
internal sealed record ImageCall
{
    private ImageCall()
    {
    }

    /// <summary>Gets the prompt, not blank.</summary>
    public required string Prompt { get; init; }

    /// <summary>Gets the pack that serves the call.</summary>
    public required FlexiDiTModel Model { get; init; }

    /// <summary>Gets the task type the policy decides by (an unknown one is the policy's to refuse).</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the tenant that pays.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user within the tenant, if any.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the number of images: at least 1, at most the task type's cap.</summary>
    public required int Count { get; init; }

    /// <summary>Gets the deadline in milliseconds, if any: positive and within the budget hold's limit.</summary>
    public int? SlaMs { get; init; }

    /// <summary>Gets the side of the returned images: the native size or a whole multiple of it.</summary>
    public required int Size { get; init; }

    /// <summary>Gets the seed (random when the options set none).</summary>
    public required long Seed { get; init; }

    /// <summary>Gets the explicit compute mode, if any (an unknown one is the policy's to refuse).</summary>
    public string? Mode { get; init; }

    /// <summary>Gets the steps override, if any: 1 to <see cref="PlanOverrides.MaxSteps"/>.</summary>
    public int? Steps { get; init; }

    /// <summary>Gets the guidance override, if any: 0 to 100.</summary>
    public double? Guidance { get; init; }

    /// <summary>Gets <see cref="ImageGenerationResponseFormat.Data"/> or <see cref="ImageGenerationResponseFormat.Uri"/>.</summary>
    public required ImageGenerationResponseFormat Format { get; init; }

    /// <summary>Gets the media type, one of <see cref="ImageExport.SupportedMediaTypes"/>.</summary>
    public required string MediaType { get; init; }

    /// <summary>Checks a request and its options and resolves the defaults; nothing runs and nothing is charged.</summary>
    /// <exception cref="NotSupportedException">The request edits images, or asks for hosted results.</exception>
    /// <exception cref="ArgumentException">An option is invalid or the model unknown; the parameter name is the field.</exception>
    public static ImageCall From(ImageGenerationRequest request, ImageGenerationOptions? options, FlexiDiTRuntime runtime)
    {
        if (request.OriginalImages?.Any() == true)
        {
            throw new NotSupportedException("FlexiDiT draws a class from noise and cannot edit images; send the request without OriginalImages.");
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw new ArgumentException("The request needs a prompt naming one of the model's classes, e.g. \"a red circle\".", nameof(request.Prompt));
        }

        var format = options?.ResponseFormat ?? ImageGenerationResponseFormat.Data;
        if (format == ImageGenerationResponseFormat.Hosted)
        {
            throw new NotSupportedException("FlexiDiT runs locally and hosts no images; ask for ResponseFormat Data (bytes) or Uri (files written to the output folder).");
        }

        if (format is not (ImageGenerationResponseFormat.Data or ImageGenerationResponseFormat.Uri))
        {
            throw new ArgumentOutOfRangeException(nameof(options.ResponseFormat), format, "ResponseFormat must be Data or Uri.");
        }

        var mediaType = (options?.MediaType ?? "image/png").Trim().ToLowerInvariant();
        if (mediaType == "image/jpg")
        {
            mediaType = "image/jpeg";
        }

        if (!ImageExport.SupportedMediaTypes.Contains(mediaType))
        {
            throw new ArgumentException($"Media type '{options?.MediaType}' is not supported; use one of {string.Join(", ", ImageExport.SupportedMediaTypes)}.", nameof(options.MediaType));
        }

        var count = options?.Count ?? 1;
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options.Count), count, "Count must be at least 1.");
        }

        var settings = runtime.Options;
        var taskType = options.GetTaskType() ?? settings.DefaultTaskType;

        // The task's cap is known without running anything; an unknown task type is refused by the policy engine.
        if (runtime.Policies.FindTask(taskType) is { } task && count > task.MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(options.Count), count, $"Count {count} is above the maximum of {task.MaxCount} images per '{task.Name}' request.");
        }

        PlanOverrides.Validate(options.GetSteps(), options.GetGuidance());
        var model = runtime.GetModel(options?.ModelId);
        return new ImageCall
        {
            Prompt = request.Prompt,
            Model = model,
            TaskType = taskType,
            TenantId = options.GetTenant() ?? settings.DefaultTenant,
            UserId = options.GetUser() ?? (options.GetTenant() is null ? settings.DefaultUser : null),
            Count = count,
            SlaMs = SlaMsOf(options.GetDeadline(), runtime.MaxDeadline),
            Size = SizeOf(options?.ImageSize, model.ImageSize),
            Seed = options.GetSeed() ?? Random.Shared.NextInt64(0, int.MaxValue),
            Mode = options.GetMode(),
            Steps = options.GetSteps(),
            Guidance = options.GetGuidance(),
            Format = format,
            MediaType = mediaType,
        };
    }

    private static int? SlaMsOf(TimeSpan? deadline, TimeSpan maxDeadline)
    {
        if (deadline is not { } d)
        {
            return null;
        }

        // The deadline becomes a budget hold of deadline + margin, which the ledger caps: a longer one would pass here
        // and then fail when the budget is reserved.
        if (d <= TimeSpan.Zero || d > maxDeadline)
        {
            throw new ArgumentOutOfRangeException(
                FlexiDiTGenerationOptions.DeadlineKey,
                d,
                string.Create(CultureInfo.InvariantCulture, $"The deadline must be above 0 and at most {maxDeadline.TotalSeconds:0} seconds (the budget hold's limit); got {d.TotalSeconds:0.###} seconds."));
        }

        return (int)Math.Ceiling(d.TotalMilliseconds);
    }

    private static int SizeOf(Size? requested, int native)
    {
        if (requested is not { } size)
        {
            return native;
        }

        if (size.Width != size.Height || size.Width < native || size.Width % native != 0 || size.Width / native > FlexiDiTImageGenerator.MaxUpscale)
        {
            var valid = string.Join(", ", Enumerable.Range(1, FlexiDiTImageGenerator.MaxUpscale).Select(k => $"{k * native}x{k * native}"));
            throw new ArgumentException(
                $"Image size {size.Width}x{size.Height} is not available: the model draws {native}x{native} images, which are upscaled only by " +
                $"whole multiples (nearest neighbour, so no detail is invented). Valid sizes: {valid}.",
                nameof(ImageGenerationOptions.ImageSize));
        }

        return size.Width;
    }
}
