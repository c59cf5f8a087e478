namespace FlexiDiT.Training;

/// <summary>Progress lines to the console and to a log file in the run folder.</summary>
public sealed class TrainingLog(string path, TextWriter? console = null)
{
    /// <summary>Writes one timestamped line to the log file and the console.</summary>
    public void Write(string line)
    {
        string stamped = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}";
        (console ?? Console.Out).WriteLine(stamped);
        File.AppendAllText(path, stamped + Environment.NewLine);
    }
}
