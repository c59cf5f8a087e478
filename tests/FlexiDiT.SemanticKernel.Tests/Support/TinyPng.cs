namespace FlexiDiT.SemanticKernel.Tests.Support;

/// <summary>A valid 8×8 red PNG, so saved files can be checked as real images.</summary>
internal static class TinyPng
{
    public static readonly byte[] Bytes = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO4o6GBFTEMLQkAe3tLAfuiUfAAAAAASUVORK5CYII=");

    public static bool IsPng(byte[] data) =>
        data.Length > 8 && data.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
}
