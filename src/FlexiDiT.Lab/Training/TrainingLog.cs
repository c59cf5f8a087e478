namespace FlexiDiT.Training;

/// <summary>Progress lines to the console and to a log file in the run folder.</summary>
public sealed class TrainingLog(string path, TextWriter? console = null)
{
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ssZ";

    /// <summary>Writes one timestamped line to the log file and the console.</summary>
    public void Write(string line)
    {
        string stamped = $"{DateTime.UtcNow.ToString(TimestampFormat, System.Globalization.CultureInfo.InvariantCulture)} {line}";
        (console ?? Console.Out).WriteLine(stamped);
        File.AppendAllText(path, stamped + Environment.NewLine);
    }

    /// <summary>
    /// The last line of a log without its timestamp: the summary a finished training or conversion leaves there.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no log at <paramref name="logPath"/>.</exception>
    /// <exception cref="InvalidDataException">The log is empty.</exception>
    public static string LastEntry(string logPath)
    {
        if (!File.Exists(logPath)) throw new FileNotFoundException($"No log at {logPath}: give the log of a finished run.", logPath);
        string last = File.ReadLines(logPath).LastOrDefault(l => l.Length > 0)
            ?? throw new InvalidDataException($"The log {logPath} is empty: the run has not written anything yet.");
        return last.Length > TimestampFormat.Length + 1 && last[TimestampFormat.Length] == ' ' ? last[(TimestampFormat.Length + 1)..] : last;
    }
}
