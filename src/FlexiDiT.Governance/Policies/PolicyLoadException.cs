namespace FlexiDiT.Governance.Policies;

/// <summary>
/// Policy files could not be loaded. Every problem found is listed, so one run shows all the typos in a file.
/// </summary>
public sealed class PolicyLoadException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PolicyLoadException"/> class.</summary>
    /// <param name="errors">The problems found; at least one.</param>
    public PolicyLoadException(IReadOnlyList<PolicyError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Gets the problems found, in file and line order.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }

    private static string Format(IReadOnlyList<PolicyError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("at least one error is required", nameof(errors));
        }

        return errors.Count == 1
            ? errors[0].ToString()
            : $"{errors.Count} errors in policy files:{Environment.NewLine}  " +
              string.Join(Environment.NewLine + "  ", errors);
    }
}
