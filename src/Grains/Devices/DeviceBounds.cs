using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Devices;

/// <summary>
/// The physical bounds of every number a device sends (docs/PROTOCOL.md, "Bounds"). A value outside them is dropped,
/// the rest of its message kept, and counted as <see cref="RejectionReason.OutOfRange"/>: a buggy or hostile device can
/// neither crash a grain call nor poison an aggregate or a fleet metric.
/// </summary>
public static class DeviceBounds
{
    public const double MaxLatencyMs = FleetQuantMetrics.MaxLatencyMs; // one hour
    public const long MaxMemoryBytes = 1L << 40; // 1 TiB
    public const long MaxBandwidthBitsPerSecond = 100_000_000_000; // 100 Gbit/s
    public const int MaxCountPerReport = 1_000_000_000;
    public const int MaxCpuCores = 1024;
    public const long MaxRamBytes = 4L << 40; // 4 TiB
    public const long MaxStorageBytes = 1L << 50; // 1 PiB
    public const int MaxTextLength = 64;
    public const int MaxCpuFeatures = 64;
    public const int ArtifactHashLength = 64;

    public static bool IsLatency(double ms) => double.IsFinite(ms) && ms > 0 && ms <= MaxLatencyMs;

    public static bool IsConfidence(double c) => c is >= 0 and <= 1; // false for NaN

    public static bool IsMemory(long bytes) => bytes is >= 0 and <= MaxMemoryBytes;

    public static bool IsBandwidth(long bitsPerSecond) => bitsPerSecond is >= 0 and <= MaxBandwidthBitsPerSecond;

    public static bool IsCount(long n) => n is >= 0 and <= MaxCountPerReport;

    /// <summary>A SHA-256 in lower- or upper-case hex.</summary>
    public static bool IsArtifactHash(string hash) => hash.Length == ArtifactHashLength && hash.All(char.IsAsciiHexDigit);

    /// <summary>The report with every out-of-bounds value dropped, and how many were dropped.</summary>
    public static (TelemetryReport Report, int Dropped) Sanitize(TelemetryReport report)
    {
        var dropped = 0;
        var latencies = new List<double>(Math.Min(report.LatenciesMs?.Count ?? 0, TelemetryReport.MaxLatencySamples));
        foreach (var l in report.LatenciesMs ?? [])
        {
            if (IsLatency(l) && latencies.Count < TelemetryReport.MaxLatencySamples)
            {
                latencies.Add(l);
            }
            else
            {
                dropped++;
            }
        }
        var errors = Keep(report.Errors, IsCount(report.Errors), ref dropped);
        var memory = Keep(report.MemoryBytes, IsMemory(report.MemoryBytes), ref dropped);
        double? confidence = report.MeanTop1Confidence is { } c && !IsConfidence(c) ? Drop<double>(ref dropped) : report.MeanTop1Confidence;
        long? bandwidth = report.DownloadBitsPerSecond is { } b && !IsBandwidth(b) ? Drop<long>(ref dropped) : report.DownloadBitsPerSecond;
        // A count below the samples it carries contradicts them: fall back to one inference per sample.
        int? inferences = report.Inferences is { } n && (!IsCount(n) || n < latencies.Count) ? Drop<int>(ref dropped) : report.Inferences;
        return (new TelemetryReport(latencies, errors, memory, confidence, bandwidth, inferences), dropped);
    }

    /// <summary>
    /// The device's measured profile from a hello, every out-of-bounds value replaced by what was stored before, and class
    /// and tags always the stored (operator-owned) ones.
    /// </summary>
    public static (DeviceProfileInfo Profile, int Dropped) Merge(DeviceProfileInfo stored, DeviceProfileInfo reported)
    {
        var dropped = 0;
        var features = reported.CpuFeatures is { Count: <= MaxCpuFeatures } f && f.All(IsText) ? f : Drop(stored.CpuFeatures, ref dropped);
        return (stored with
        {
            Arch = IsText(reported.Arch) ? reported.Arch : Drop(stored.Arch, ref dropped),
            CpuCores = reported.CpuCores is > 0 and <= MaxCpuCores ? reported.CpuCores : Drop(stored.CpuCores, ref dropped),
            // An array, not a collection expression: the storage serializer records the compiler-generated
            // read-only list's type name and cannot resolve it on read, leaving the device grain unable to activate.
            CpuFeatures = features.ToArray(),
            RamBytes = reported.RamBytes is > 0 and <= MaxRamBytes ? reported.RamBytes : Drop(stored.RamBytes, ref dropped),
            ModelMemoryBudgetBytes = reported.ModelMemoryBudgetBytes is > 0 and <= MaxMemoryBytes
                ? reported.ModelMemoryBudgetBytes : Drop(stored.ModelMemoryBudgetBytes, ref dropped),
            StorageBytes = reported.StorageBytes is >= 0 and <= MaxStorageBytes ? reported.StorageBytes : Drop(stored.StorageBytes, ref dropped),
            BandwidthBitsPerSecond = reported.BandwidthBitsPerSecond > 0 && IsBandwidth(reported.BandwidthBitsPerSecond)
                ? reported.BandwidthBitsPerSecond : Drop(stored.BandwidthBitsPerSecond, ref dropped),
            DataCapBytesPerMonth = reported.DataCapBytesPerMonth is null or (>= 0 and <= MaxStorageBytes)
                ? reported.DataCapBytesPerMonth : Drop(stored.DataCapBytesPerMonth, ref dropped),
            OrtVersion = reported.OrtVersion is { Length: <= MaxTextLength } ? reported.OrtVersion : Drop(stored.OrtVersion, ref dropped),
            AgentVersion = reported.AgentVersion is { Length: <= MaxTextLength } ? reported.AgentVersion : Drop(stored.AgentVersion, ref dropped),
        }, dropped);
    }

    /// <summary>An update report's byte count, or null when it is out of bounds.</summary>
    public static bool IsByteCount(long bytes) => bytes is >= 0 and <= MaxStorageBytes;

    private static bool IsText(string? s) => s is { Length: > 0 and <= MaxTextLength };

    private static T Keep<T>(T value, bool valid, ref int dropped) where T : struct
    {
        if (valid)
        {
            return value;
        }
        dropped++;
        return default;
    }

    private static T? Drop<T>(ref int dropped) where T : struct
    {
        dropped++;
        return null;
    }

    private static T Drop<T>(T fallback, ref int dropped)
    {
        dropped++;
        return fallback;
    }
}
