using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexiDiT.Training;

/// <summary>Where a run stands, persisted as <c>state.json</c> in its folder.</summary>
/// <param name="Step">Steps taken in total.</param>
/// <param name="TrainingSeconds">Training time in total, across resumes (what <c>--minutes</c> counts).</param>
/// <param name="FirstLoss">The loss of the first step (NaN before it).</param>
/// <param name="EmaUpdates">Updates since the EMA started (null in runs from before the EMA warm-up).</param>
public sealed record TrainingState(int Step, double TrainingSeconds, double FirstLoss, long? EmaUpdates = null)
{
    // A run stopped before its first step (e.g. --steps 0, which just initialises the run) has no first loss yet.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The state of a new run.</summary>
    public static TrainingState Start { get; } = new(0, 0, double.NaN);

    /// <summary>Reads <c>state.json</c>, or null where there is none (a new run).</summary>
    public static TrainingState? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty: delete it to start the run again.") : null;

    /// <summary>Writes <c>state.json</c>.</summary>
    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}
