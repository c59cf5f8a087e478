using System.Runtime.InteropServices;

namespace FlexiDiT.Engine;

/// <summary>
/// Sets variables in the process's native environment, where native libraries read them when they load. .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach it on Unix.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/> unless the user already set it (Linux only).</summary>
    /// <param name="name">The variable.</param>
    /// <param name="value">The value.</param>
    public static void SetUnlessSet(string name, string value)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(name) is { Length: > 0 }) return;

        // overwrite = 0: a value already in the native environment stays.
        _ = SetEnvironment(name, value, 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
