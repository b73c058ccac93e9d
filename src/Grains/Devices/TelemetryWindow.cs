using FleetQuant.Grains.Devices;

namespace FleetQuant.Grains.Devices;

/// <summary>Keeps a device's recent telemetry reports (by age and count) and aggregates them.</summary>
public static class TelemetryWindow
{
    public static void Add(List<TelemetryWindowEntry> window, TelemetryWindowEntry entry, DateTimeOffset now, TimeSpan length, int maxReports)
    {
        window.Add(entry);
        Prune(window, now, length, maxReports);
    }

    public static void Prune(List<TelemetryWindowEntry> window, DateTimeOffset now, TimeSpan length, int maxReports)
    {
        var cutoff = now - length;
        window.RemoveAll(e => e.At < cutoff);
        if (window.Count > maxReports)
        {
            window.RemoveRange(0, window.Count - maxReports);
        }
    }

    /// <summary>
    /// Aggregates the window. Entries are bounded on the way in (<see cref="DeviceBounds"/>), but a window saved before
    /// the bounds may hold anything: the arithmetic is in doubles, skips non-finite values and clamps, so it cannot throw
    /// or return a non-finite number.
    /// </summary>
    public static TelemetryAggregates Aggregate(IReadOnlyList<TelemetryWindowEntry> window)
    {
        if (window.Count == 0)
        {
            return TelemetryAggregates.Empty;
        }
        var latencies = window.SelectMany(e => e.LatenciesMs).Where(DeviceBounds.IsLatency).Order().ToArray();
        var confidenceWeight = 0.0;
        var confidenceSum = 0.0;
        var inferences = 0L;
        var errors = 0L;
        var bandwidthSum = 0.0;
        var bandwidthCount = 0;
        long? peakMemory = null;
        foreach (var e in window)
        {
            var count = InferencesOf(e);
            inferences += count; // ints summed into a long: cannot overflow
            errors += Math.Max(0, e.Errors);
            if (e.MeanTop1Confidence is { } c && DeviceBounds.IsConfidence(c))
            {
                var weight = (double)Math.Max(1, count);
                confidenceSum += c * weight;
                confidenceWeight += weight;
            }
            if (e.DownloadBitsPerSecond is { } b && DeviceBounds.IsBandwidth(b))
            {
                bandwidthSum += b;
                bandwidthCount++;
            }
            if (DeviceBounds.IsMemory(e.MemoryBytes))
            {
                peakMemory = Math.Max(peakMemory ?? 0, e.MemoryBytes);
            }
        }
        var confidence = confidenceWeight == 0 ? (double?)null : Math.Clamp(confidenceSum / confidenceWeight, 0, 1);
        return new TelemetryAggregates(
            window.Count,
            inferences,
            errors,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            peakMemory,
            confidence,
            bandwidthCount == 0 ? null : (long)Math.Min(bandwidthSum / bandwidthCount, DeviceBounds.MaxBandwidthBitsPerSecond));
    }

    /// <summary>A report's latencies may be a sample: its own count of inferences wins when it has one.</summary>
    private static int InferencesOf(TelemetryWindowEntry entry) => Math.Max(0, entry.Inferences ?? entry.LatenciesMs.Length);

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double? Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return null;
        }
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
