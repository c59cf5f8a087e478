using System.Globalization;
using FlexiDiT.Engine;
using FlexiDiT.Extensions.AI.Internal;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using FlexiDiT.Imaging;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// An <see cref="IImageGenerator"/> over a local FlexiDiT: the prompt names a class of the model pack, the compute
/// policy picks a plan (how many steps run at the cheap, weak patch size), the budget ledger holds its price, and the
/// engine batches the request with whatever else is running.
/// </summary>
/// <remarks>
/// <para><see cref="ImageGenerationOptions"/> mapping:</para>
/// <list type="bullet">
/// <item><description><see cref="ImageGenerationOptions.Count"/>: images (default 1), at most the task type's <c>maxCount</c>.</description></item>
/// <item><description><see cref="ImageGenerationOptions.ImageSize"/>: the model's native square size (32×32 for the Shapes model) or a whole
/// multiple of it (up to 16×), upscaled nearest-neighbour so no detail is invented; anything else is an <see cref="ArgumentException"/>.</description></item>
/// <item><description><see cref="ImageGenerationOptions.MediaType"/>: <c>image/png</c> (default), <c>image/jpeg</c> or <c>image/webp</c>.</description></item>
/// <item><description><see cref="ImageGenerationOptions.ResponseFormat"/>: <see cref="ImageGenerationResponseFormat.Data"/> (default,
/// <see cref="DataContent"/>) or <see cref="ImageGenerationResponseFormat.Uri"/> (files in <see cref="FlexiDiTRuntime.OutputFolder"/>,
/// <see cref="UriContent"/> with <c>file://</c> URIs); <see cref="ImageGenerationResponseFormat.Hosted"/> is not supported.</description></item>
/// <item><description><see cref="ImageGenerationOptions.ModelId"/>: a configured pack's name (default: <see cref="FlexiDiTOptions.Model"/>).</description></item>
/// <item><description>Task type, mode, deadline (at most <see cref="FlexiDiTRuntime.MaxDeadline"/>), seed, steps, guidance, tenant and user: <see cref="FlexiDiTGenerationOptions"/>.</description></item>
/// </list>
/// <para>
/// The response's <see cref="ImageGenerationResponse.Usage"/> carries FLOPs, steps, time, cost and the number of prompt
/// words the model ignored under <see cref="FlexiDiTUsageKeys"/>; each image carries the decision under <see cref="FlexiDiTContentKeys"/>; and
/// <see cref="ImageGenerationResponse.RawRepresentation"/> is a <see cref="FlexiDiTGenerationReport"/>.
/// </para>
/// <para>
/// Thread-safe: concurrent calls are batched by the engine. Cancelling a call stops its generation at the next
/// denoising step and releases its budget reservation.
/// </para>
/// </remarks>
public sealed class FlexiDiTImageGenerator : IImageGenerator
{
    /// <summary>The provider name reported in <see cref="ImageGeneratorMetadata"/> (and so in telemetry).</summary>
    public const string ProviderName = "flexidit";

    /// <summary>The largest whole-number upscale of the native size that <see cref="ImageGenerationOptions.ImageSize"/> may ask for.</summary>
    public const int MaxUpscale = 16;

    private readonly bool ownsRuntime;
    private int disposed;

    /// <summary>Initializes a new instance of the <see cref="FlexiDiTImageGenerator"/> class over a shared runtime.</summary>
    /// <param name="runtime">The runtime (policies, ledger, engines); the generator does not dispose it.</param>
    public FlexiDiTImageGenerator(FlexiDiTRuntime runtime)
    {
        Runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
    }

    /// <summary>Initializes a new instance of the <see cref="FlexiDiTImageGenerator"/> class with a runtime of its own.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where the runtime logs, if anywhere.</param>
    public FlexiDiTImageGenerator(FlexiDiTOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Runtime = new FlexiDiTRuntime(options, loggerFactory);
        ownsRuntime = true;
    }

    /// <summary>Gets the runtime: policies, ledger and models.</summary>
    public FlexiDiTRuntime Runtime { get; }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The request edits images, or asks for hosted results.</exception>
    /// <exception cref="ArgumentException">
    /// An option is invalid (its <see cref="ArgumentException.ParamName"/> is the field: an options property such as
    /// <c>Count</c> or <c>ImageSize</c>, a <see cref="FlexiDiTGenerationOptions"/> key, or the request's <c>Prompt</c>), the
    /// model is unknown, or the prompt names no class (or several); for the scenes model, the prompt names nothing it
    /// draws (a <c>NoSceneConceptException</c>, whose message gives examples). All are thrown before anything is charged.
    /// </exception>
    /// <exception cref="ImageGenerationRefusedException">The governance refused the request (budget, SLA, quality, permissions).</exception>
    /// <exception cref="EngineBusyException">The engine's queue is full; retry later.</exception>
    /// <exception cref="EngineUnavailableException">The engine failed repeatedly and its circuit is open.</exception>
    /// <exception cref="GenerationTimeoutException">The SLA ran out and no cheaper plan could take over.</exception>
    public async Task<ImageGenerationResponse> GenerateAsync(
        ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var call = ImageCall.From(request, options, Runtime);
        var model = call.Model;

        // A class pack matches the prompt before any weights load, so a typo fails fast with the closest class names;
        // a text-to-image pack takes the prompt as it is, through its text encoder, which says which words it leaves out
        // (and refuses, before any budget is reserved, a prompt that names nothing it draws).
        var match = model.Pack.IsTextToImage ? null : model.Pack.Matcher.Match(call.Prompt);
        var ignored = match is null ? model.Pack.IgnoredWords(call.Prompt) : [];

        long[] labels = match is null ? [] : Enumerable.Repeat((long)match.ClassIndex, call.Count).ToArray();
        var policyRequest = new PolicyRequest
        {
            TaskType = call.TaskType,
            TenantId = call.TenantId,
            UserId = call.UserId,
            Count = call.Count,
            SlaMs = call.SlaMs,
            PlanName = call.Mode,
        };
        var run = await model.RunGovernedAsync(
            new GovernedRequest(policyRequest, labels, call.Seed, call.Steps, call.Guidance, match is null ? call.Prompt : null), cancellationToken).ConfigureAwait(false);
        if (!run.Completed)
        {
            throw new ImageGenerationRefusedException(run.Refusal);
        }

        // Decided: the approval reserved (re-priced for overrides); ran: the one that produced the images.
        var (decided, ran, elapsed, charged) = (run.Approval, run.Outcome.Approval, run.Outcome.Elapsed, run.Receipt.Charged);
        var result = run.Outcome.Value;
        var report = new FlexiDiTGenerationReport
        {
            Model = model.Name,
            ClassName = match?.Name ?? call.Prompt,
            ClassIndex = match?.ClassIndex ?? -1,
            Prompt = match is null ? call.Prompt : null,
            IgnoredWords = ignored,
            Count = call.Count,
            Seed = call.Seed,
            TaskType = ran.TaskType,
            TenantId = ran.TenantId,
            UserId = ran.UserId,
            Mode = ran.PlanName,
            DecidedMode = decided.PlanName,
            FellBack = run.Outcome.Attempt.IsFallback,
            Degraded = ran.Degraded,
            Reason = ran.Reason,
            ReservedCost = run.Receipt.Reserved,
            Cost = charged,
            PredictedLatencyMs = decided.PredictedLatencyMs,
            ActualLatencyMs = elapsed.TotalMilliseconds,
            SlaMs = ran.SlaMs,
            Steps = result.Steps,
            WeakSteps = result.WeakSteps,
            FlopsSpent = result.FlopsSpent,
            FlopsSaved = result.FlopsSaved,
            Savings = result.Savings,
            Approval = ran,
        };

        // The images are paid for once they exist, so a cancellation from here on would charge for nothing delivered:
        // encoding and writing them is not cancellable.
        List<AIContent> contents;
        using (result.Samples)
        {
            contents = await EncodeAsync(result, report, call).ConfigureAwait(false);
        }

        return new ImageGenerationResponse(contents)
        {
            RawRepresentation = report,
            Usage = new UsageDetails
            {
                AdditionalCounts = new AdditionalPropertiesDictionary<long>
                {
                    [FlexiDiTUsageKeys.FlopsSpent] = result.FlopsSpent,
                    [FlexiDiTUsageKeys.FlopsSaved] = result.FlopsSaved,
                    [FlexiDiTUsageKeys.FlopsSavedByFlexiDiT] = result.Savings.FlexiDiTSaved,
                    [FlexiDiTUsageKeys.FlopsSavedBySteps] = result.Savings.StepsSaved,
                    [FlexiDiTUsageKeys.Steps] = result.Steps,
                    [FlexiDiTUsageKeys.WeakSteps] = result.WeakSteps,
                    [FlexiDiTUsageKeys.IgnoredWords] = ignored.Count,
                    [FlexiDiTUsageKeys.Milliseconds] = (long)Math.Round(elapsed.TotalMilliseconds, MidpointRounding.AwayFromZero),
                    [FlexiDiTUsageKeys.CostMillicredits] = (long)Math.Round(charged * 1000m, MidpointRounding.AwayFromZero),
                },
            },
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// Answers <see cref="ImageGeneratorMetadata"/> (provider <c>flexidit</c>, the default pack as model id),
    /// <see cref="FlexiDiTRuntime"/>, the default pack's <see cref="GenerationEngine"/> once loaded, and this generator.
    /// </remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ImageGeneratorMetadata))
        {
            return new ImageGeneratorMetadata(ProviderName, providerUri: null, defaultModelId: Runtime.DefaultModelId);
        }

        if (serviceType == typeof(FlexiDiTRuntime))
        {
            return Runtime;
        }

        if (serviceType == typeof(GenerationEngine))
        {
            return Runtime.DefaultModel.LoadedEngine;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Disposes the runtime if this generator created it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0 && ownsRuntime)
        {
            Runtime.Dispose();
        }
    }

    private async Task<List<AIContent>> EncodeAsync(GenerationResult result, FlexiDiTGenerationReport report, ImageCall call)
    {
        var images = ImageExport.ToImages(result.Samples);
        var contents = new List<AIContent>(images.Length);
        var stamp = Runtime.Options.TimeProvider.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var batch = Guid.NewGuid().ToString("N")[..8];
        try
        {
            for (var i = 0; i < images.Length; i++)
            {
                using var view = ImageExport.Upscale(images[i], call.Size);
                var bytes = ImageExport.Encode(view, call.MediaType);
                var name = $"{stamp}-{FlexiDiTPaths.SafeFileName(report.ClassName)}-{report.Seed}-{batch}-{i + 1}{ImageExport.Extension(call.MediaType)}";
                AIContent content;
                if (call.Format == ImageGenerationResponseFormat.Uri)
                {
                    Directory.CreateDirectory(Runtime.OutputFolder);
                    var path = Path.Combine(Runtime.OutputFolder, name);
                    await File.WriteAllBytesAsync(path, bytes, CancellationToken.None).ConfigureAwait(false);
                    content = new UriContent(new Uri(path), call.MediaType);
                }
                else
                {
                    content = new DataContent(bytes, call.MediaType) { Name = name };
                }

                content.AdditionalProperties = new AdditionalPropertiesDictionary
                {
                    [FlexiDiTContentKeys.Mode] = report.Mode,
                    [FlexiDiTContentKeys.Cost] = report.Cost,
                    [FlexiDiTContentKeys.Reason] = report.Reason,
                    [FlexiDiTContentKeys.Degraded] = report.Degraded || report.FellBack,
                    [FlexiDiTContentKeys.ClassName] = report.ClassName,
                    [FlexiDiTContentKeys.Seed] = report.Seed,
                    [FlexiDiTContentKeys.Index] = i,
                };
                if (report.IgnoredWords.Count > 0)
                {
                    content.AdditionalProperties[FlexiDiTContentKeys.IgnoredWords] = report.IgnoredWords.ToArray();
                }

                contents.Add(content);
            }
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }

        return contents;
    }
}
