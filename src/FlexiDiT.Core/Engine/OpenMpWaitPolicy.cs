using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlexiDiT.Engine;

/// <summary>
/// Makes libtorch's OpenMP threads sleep at barriers instead of spinning (<c>OMP_WAIT_POLICY=PASSIVE</c>), unless the
/// user chose a policy. Spinning threads only pay on a machine with cores to spare: where other processes share the
/// cores, a spinning thread burns the time slice its partner needs to reach the barrier, and every one of a forward's
/// hundreds of parallel ops waits for the scheduler. On a 2-core AMD EPYC at load 40 a DiT-S/4 forward took 6.5 s
/// spinning and 0.26 s passive (ONNX Runtime, whose own pool backs off: 0.6 s).
/// </summary>
/// <remarks>
/// libgomp reads the variable once, when libtorch loads it, and .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not reach the native environment on Unix: hence libc's <c>setenv</c>, from a module initializer that runs before
/// any code of this assembly can load libtorch.
/// </remarks>
internal static partial class OpenMpWaitPolicy
{
    private const string Variable = "OMP_WAIT_POLICY";

#pragma warning disable CA2255 // The policy must be set before libtorch (and its libgomp) is loaded; nothing later can.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PreferPassive()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is { Length: > 0 }) return;
        // overwrite = 0: a policy already in the native environment stays.
        _ = SetEnvironment(Variable, "PASSIVE", 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
