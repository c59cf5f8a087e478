using YamlDotNet.RepresentationModel;

namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>Collects located errors for one load, so that every problem is reported, not just the first.</summary>
internal sealed class PolicyDiagnostics
{
    private readonly List<(int Order, PolicyError Error)> errors = [];

    public bool HasErrors => errors.Count > 0;

    public void Error(string file, YamlNode at, string message) => Error(file, LineOf(at), message);

    public void Error(string file, int? line, string message) =>
        errors.Add((errors.Count, new PolicyError(file, line, message)));

    public IReadOnlyList<PolicyError> Sorted(IReadOnlyList<string> fileOrder) =>
        errors
            .OrderBy(e => IndexOf(fileOrder, e.Error.File))
            .ThenBy(e => e.Error.Line ?? 0)
            .ThenBy(e => e.Order)
            .Select(e => e.Error)
            .ToList();

    // YamlDotNet's marks are already 1-based, matching what editors show.
    public static int LineOf(YamlNode node) => (int)node.Start.Line;

    private static int IndexOf(IReadOnlyList<string> files, string file)
    {
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i] == file)
            {
                return i;
            }
        }

        return files.Count;
    }
}
