using System.Runtime.CompilerServices;

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
/// does not reach the native environment on Unix: hence <see cref="NativeEnvironment"/>, from a module initializer that
/// runs before any code of this assembly can load libtorch.
/// </remarks>
internal static class OpenMpWaitPolicy
{
    private const string Variable = "OMP_WAIT_POLICY";

#pragma warning disable CA2255 // The policy must be set before libtorch (and its libgomp) is loaded; nothing later can.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PreferPassive() => NativeEnvironment.SetUnlessSet(Variable, "PASSIVE");
}
