namespace FlexiDiT.SemanticKernel;

/// <summary>Who the image tools spend for and where they put the images.</summary>
public sealed class FlexiDiTToolOptions
{
    /// <summary>Gets or sets the tenant whose budget pays (must exist in the policies).</summary>
    public string TenantId { get; set; } = "local";

    /// <summary>Gets or sets the user within the tenant, or <see langword="null"/> to spend from the tenant's shared budget.</summary>
    public string? UserId { get; set; }

    /// <summary>Gets or sets the folder generated images are saved to; created when missing.</summary>
    public string OutputDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "flexidit-images");

    /// <summary>Gets or sets the task type used when a caller names none.</summary>
    public string DefaultTaskType { get; set; } = "draft";

    /// <summary>Gets or sets the limits a run gets when its creator gives none.</summary>
    public ImageRunLimits DefaultRunLimits { get; set; } = new();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(TenantId, nameof(TenantId));
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputDirectory, nameof(OutputDirectory));
        ArgumentException.ThrowIfNullOrWhiteSpace(DefaultTaskType, nameof(DefaultTaskType));
        ArgumentNullException.ThrowIfNull(DefaultRunLimits, nameof(DefaultRunLimits));
        DefaultRunLimits.Validate();
    }
}
