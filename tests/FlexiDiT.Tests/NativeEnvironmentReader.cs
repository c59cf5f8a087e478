using System.Runtime.InteropServices;

namespace FlexiDiT.Tests;

/// <summary>Reads the process's native environment, where libraries read their settings (.NET's own copy may differ on Unix).</summary>
internal static class NativeEnvironmentReader
{
    public static string? Get(string name) => Marshal.PtrToStringUTF8(NativeGetEnvironment(name));

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr NativeGetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
