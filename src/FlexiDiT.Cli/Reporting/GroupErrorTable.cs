using FlexiDiT.Verification;

namespace FlexiDiT.Cli.Reporting;

/// <summary>The table the reference checks print: one row per group with its errors, then a verdict line.</summary>
internal static class GroupErrorTable
{
    /// <summary>Prints <paramref name="results"/> and returns the exit code: 0 when every group passed, 1 otherwise.</summary>
    public static int Print(IReadOnlyList<GroupError> results, string checkName)
    {
        Console.WriteLine($"{"group",-18} {"max abs err",12} {"rel err",10} {"tolerance",10}  result");
        foreach (var r in results)
            Console.WriteLine($"{r.Group,-18} {r.MaxAbsError,12:E2} {r.RelativeError,10:E2} {r.Tolerance,10:E0}  {(r.Passed ? "ok" : "FAIL")}");
        bool ok = results.Count > 0 && results.All(r => r.Passed);
        Console.WriteLine(ok ? $"All {results.Count} groups within tolerance." : $"{checkName} FAILED.");
        return ok ? 0 : 1;
    }
}
