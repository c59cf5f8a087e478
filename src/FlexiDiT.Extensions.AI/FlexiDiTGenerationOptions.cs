using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// FlexiDiT's own knobs on <see cref="ImageGenerationOptions"/>, stored in
/// <see cref="ImageGenerationOptions.AdditionalProperties"/> under <c>flexidit.*</c> keys so they travel
/// through any MEAI middleware unchanged.
/// </summary>
public static class FlexiDiTGenerationOptions
{
    /// <summary>Key of the task type (draft, thumbnail, slide, ad-creative, batch-overnight).</summary>
    public const string TaskTypeKey = "flexidit.task_type";
    /// <summary>Key of an explicit compute mode (a plan name of the model pack).</summary>
    public const string ModeKey = "flexidit.mode";
    /// <summary>Key of the latency deadline.</summary>
    public const string DeadlineKey = "flexidit.deadline";
    /// <summary>Key of the seed.</summary>
    public const string SeedKey = "flexidit.seed";
    /// <summary>Key of a steps override.</summary>
    public const string StepsKey = "flexidit.steps";
    /// <summary>Key of a guidance-scale override.</summary>
    public const string GuidanceKey = "flexidit.guidance";
    /// <summary>Key of the tenant that pays.</summary>
    public const string TenantKey = "flexidit.tenant";
    /// <summary>Key of the user within the tenant.</summary>
    public const string UserKey = "flexidit.user";

    private static ImageGenerationOptions Set(ImageGenerationOptions options, string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AdditionalProperties ??= [];
        if (value is null) options.AdditionalProperties.Remove(key);
        else options.AdditionalProperties[key] = value;
        return options;
    }

    private static T? Get<T>(ImageGenerationOptions? options, string key) =>
        options?.AdditionalProperties is { } p && p.TryGetValue(key, out T? value) ? value : default;

    /// <summary>Sets the task type the policy decides by.</summary>
    public static ImageGenerationOptions WithTaskType(this ImageGenerationOptions options, string? taskType) => Set(options, TaskTypeKey, taskType);
    /// <summary>The task type, if set.</summary>
    public static string? GetTaskType(this ImageGenerationOptions? options) => Get<string>(options, TaskTypeKey);

    /// <summary>Asks for a compute mode explicitly (a plan name such as <c>full</c>).</summary>
    public static ImageGenerationOptions WithMode(this ImageGenerationOptions options, string? mode) => Set(options, ModeKey, mode);
    /// <summary>The explicit mode, if set.</summary>
    public static string? GetMode(this ImageGenerationOptions? options) => Get<string>(options, ModeKey);

    /// <summary>Sets the latency deadline (overrides the task's default SLA).</summary>
    public static ImageGenerationOptions WithDeadline(this ImageGenerationOptions options, TimeSpan? deadline) => Set(options, DeadlineKey, deadline);
    /// <summary>The deadline, if set.</summary>
    public static TimeSpan? GetDeadline(this ImageGenerationOptions? options) => Get<TimeSpan?>(options, DeadlineKey);

    /// <summary>Sets the seed (same seed and mode, same images).</summary>
    public static ImageGenerationOptions WithSeed(this ImageGenerationOptions options, long? seed) => Set(options, SeedKey, seed);
    /// <summary>The seed, if set.</summary>
    public static long? GetSeed(this ImageGenerationOptions? options) => Get<long?>(options, SeedKey);

    /// <summary>Overrides the number of sampling steps of the chosen plan.</summary>
    public static ImageGenerationOptions WithSteps(this ImageGenerationOptions options, int? steps) => Set(options, StepsKey, steps);
    /// <summary>The steps override, if set.</summary>
    public static int? GetSteps(this ImageGenerationOptions? options) => Get<int?>(options, StepsKey);

    /// <summary>Overrides the classifier-free guidance scale.</summary>
    public static ImageGenerationOptions WithGuidance(this ImageGenerationOptions options, double? scale) => Set(options, GuidanceKey, scale);
    /// <summary>The guidance override, if set.</summary>
    public static double? GetGuidance(this ImageGenerationOptions? options) => Get<double?>(options, GuidanceKey);

    /// <summary>Sets the tenant (and optionally the user) whose budget pays.</summary>
    public static ImageGenerationOptions WithTenant(this ImageGenerationOptions options, string? tenant, string? user = null) =>
        Set(Set(options, TenantKey, tenant), UserKey, user);
    /// <summary>The tenant, if set.</summary>
    public static string? GetTenant(this ImageGenerationOptions? options) => Get<string>(options, TenantKey);
    /// <summary>The user within the tenant, if set.</summary>
    public static string? GetUser(this ImageGenerationOptions? options) => Get<string>(options, UserKey);
}
