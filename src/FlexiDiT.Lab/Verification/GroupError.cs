namespace FlexiDiT.Verification;

/// <summary>The error of one reference vector group.</summary>
/// <param name="Group">Group name (<c>forward</c>, <c>cfg</c>, <c>ddpm10</c>, ...).</param>
/// <param name="MaxAbsError">Largest absolute difference.</param>
/// <param name="RelativeError">Largest absolute difference divided by max |reference|.</param>
/// <param name="Tolerance">The relative tolerance of this kind of group.</param>
/// <param name="NotRunnable">Why the group could not be run from these files (e.g. no null caption), or null if it ran.</param>
public sealed record GroupError(string Group, double MaxAbsError, double RelativeError, double Tolerance, string? NotRunnable = null)
{
    /// <summary>Whether the group ran and is within tolerance.</summary>
    public bool Passed => NotRunnable is null && RelativeError <= Tolerance;
    /// <summary>Whether the group ran and is out of tolerance (a group that cannot run is not a failure).</summary>
    public bool Failed => NotRunnable is null && !Passed;

    /// <summary>A group these files cannot run, with the reason.</summary>
    public static GroupError Skipped(string group, string reason) => new(group, double.NaN, double.NaN, double.NaN, reason);
}
