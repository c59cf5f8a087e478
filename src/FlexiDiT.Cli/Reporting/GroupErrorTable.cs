using FlexiDiT.Verification;

namespace FlexiDiT.Cli.Reporting;

/// <summary>The table the reference checks print: one row per group with its errors, then a verdict line.</summary>
internal static class GroupErrorTable
{
    /// <summary>
    /// Prints <paramref name="results"/> and returns the exit code: 0 when at least one group ran and every group that
    /// ran passed (groups the files cannot run, e.g. guidance without a null caption, are listed with the reason), 1 otherwise.
    /// </summary>
    public static int Print(IReadOnlyList<GroupError> results, string checkName)
    {
        Console.WriteLine($"{"group",-18} {"max abs err",12} {"rel err",10} {"tolerance",10}  result");
        foreach (var r in results)
        {
            Console.WriteLine(r.NotRunnable is not null
                ? $"{r.Group,-18} {"-",12} {"-",10} {"-",10}  {r.NotRunnable}"
                : $"{r.Group,-18} {r.MaxAbsError,12:E2} {r.RelativeError,10:E2} {r.Tolerance,10:E0}  {(r.Passed ? "ok" : "FAIL")}");
        }
        int ran = results.Count(r => r.NotRunnable is null);
        bool ok = ran > 0 && !results.Any(r => r.Failed);
        string passed = ran == results.Count
            ? $"All {ran} groups within tolerance."
            : $"All {ran} groups that ran are within tolerance ({results.Count - ran} not runnable from these files).";
        Console.WriteLine(ok ? passed : $"{checkName} FAILED.");
        return ok ? 0 : 1;
    }
}
