using System.Globalization;
using System.Runtime.InteropServices;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// The process's resident memory as Linux reports it in /proc/self/status (VmRSS now, VmHWM the peak since the
/// last reset), and the two things that make a peak measurable: resetting VmHWM and returning freed heap to the OS.
/// </summary>
internal static partial class ProcessMemory
{
    private const string StatusPath = "/proc/self/status";
    private const string ClearRefsPath = "/proc/self/clear_refs";

    /// <summary>True when VmHWM can be reset (Linux with a writable /proc/self/clear_refs).</summary>
    public static bool CanMeasurePeak { get; } = ProbePeakReset();

    public static long ResidentBytes() => ReadStatusKb("VmRSS:") * 1024;

    public static long PeakResidentBytes() => ReadStatusKb("VmHWM:") * 1024;

    /// <summary>Writing 5 to clear_refs resets the peak resident set size to the current one.</summary>
    public static void ResetPeak() => File.WriteAllText(ClearRefsPath, "5");

    /// <summary>
    /// Gives freed native heap back to the OS; otherwise a new session reuses memory an old one freed and its
    /// own use never shows in the peak.
    /// </summary>
    public static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to trim.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

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

    private static bool ProbePeakReset()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(StatusPath))
        {
            return false;
        }
        try
        {
            ResetPeak();
            return PeakResidentBytes() > 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
