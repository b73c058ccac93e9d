using System.Globalization;
using System.Runtime.InteropServices;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// How much memory native code holds. With glibc it is the exact heap in use (<c>mallinfo2</c>: bytes in allocated
/// chunks plus mmapped blocks, over every arena), which ignores the managed heap and does not depend on freed pages
/// being reused or returned to the OS. Elsewhere it is the resident set (VmRSS), a noisier stand-in.
/// </summary>
internal static partial class ProcessMemory
{
    private const string StatusPath = "/proc/self/status";

    /// <summary>True when <see cref="NativeBytes"/> reads the exact native heap rather than the resident set.</summary>
    public static bool IsExact { get; } = ProbeMallInfo();

    public static long NativeBytes() => IsExact ? HeapInUse() : ReadStatusKb("VmRSS:") * 1024;

    private static long HeapInUse()
    {
        var info = MallInfo2();
        return (long)(info.AllocatedChunkBytes + info.MmappedBytes);
    }

    private static bool ProbeMallInfo()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            return HeapInUse() > 0;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc 2.33+ (e.g. musl): fall back to the resident set.
            return false;
        }
    }

    private static long ReadStatusKb(string key)
    {
        foreach (var line in File.ReadLines(StatusPath))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var value = line[key.Length..].Trim();
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"{StatusPath} has no {key} line");
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo MallInfo2();

    /// <summary>glibc's <c>struct mallinfo2</c>; field order is the ABI.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallInfo
    {
        public readonly nuint Arena;
        public readonly nuint FreeChunks;
        public readonly nuint FastBins;
        public readonly nuint MmappedBlocks;
        public readonly nuint MmappedBytes;
        public readonly nuint Unused;
        public readonly nuint FastBinBytes;
        public readonly nuint AllocatedChunkBytes;
        public readonly nuint FreeChunkBytes;
        public readonly nuint TopReleasable;
    }
}
