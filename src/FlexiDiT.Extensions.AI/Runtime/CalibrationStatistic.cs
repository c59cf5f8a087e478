namespace FlexiDiT.Extensions.AI;

/// <summary>Which of a calibration point's timed repeats the latency model keeps.</summary>
public enum CalibrationStatistic
{
    /// <summary>The median: the typical time on a machine as loaded as it was while measuring.</summary>
    Median,

    /// <summary>The fastest: what the machine can do, which real runs then correct upwards where it is busier.</summary>
    Fastest,
}
