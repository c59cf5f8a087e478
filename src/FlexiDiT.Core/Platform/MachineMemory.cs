using System.Globalization;

namespace FlexiDiT.Platform;

/// <summary>
/// How much memory this process may still take, as the runtime, the kernel and the container each see it
/// (a container's limit is invisible to /proc/meminfo, the host's free memory to the cgroup).
/// </summary>
public static class MachineMemory
{
    /// <summary>Bytes free for this process: the least of what the GC, /proc/meminfo and the cgroup report.</summary>
    public static long AvailableBytes()
    {
        long available = long.MaxValue;
        var gc = GC.GetGCMemoryInfo();
        if (gc.TotalAvailableMemoryBytes > 0) available = Math.Min(available, gc.TotalAvailableMemoryBytes - Math.Max(gc.MemoryLoadBytes, 0));
        if (OperatingSystem.IsLinux())
        {
            if (ReadMemInfoKb("/proc/meminfo", "MemAvailable:") is long kb) available = Math.Min(available, kb * 1024);
            // cgroup v2: the container's limit minus its usage.
            if (ReadLong("/sys/fs/cgroup/memory.max") is long max && ReadLong("/sys/fs/cgroup/memory.current") is long current)
                available = Math.Min(available, max - current);
        }
        return available == long.MaxValue ? 0 : Math.Max(available, 0);
    }

    private static long? ReadMemInfoKb(string file, string field)
    {
        try
        {
            foreach (string line in File.ReadLines(file))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                string number = line[field.Length..].Trim().Split(' ')[0];
                return long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static long? ReadLong(string file)
    {
        try
        {
            return File.Exists(file) && long.TryParse(File.ReadAllText(file).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
