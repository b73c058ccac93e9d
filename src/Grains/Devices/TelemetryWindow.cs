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

    public static TelemetryAggregates Aggregate(IReadOnlyList<TelemetryWindowEntry> window)
    {
        if (window.Count == 0)
        {
            return TelemetryAggregates.Empty;
        }
        var latencies = window.SelectMany(e => e.LatenciesMs).Order().ToArray();
        var confidenceWeight = 0L;
        var confidenceSum = 0.0;
        foreach (var e in window)
        {
            if (e.MeanTop1Confidence is { } c)
            {
                var weight = Math.Max(1, InferencesOf(e));
                confidenceSum += c * weight;
                confidenceWeight += weight;
            }
        }
        var bandwidths = window.Where(e => e.DownloadBitsPerSecond is not null).Select(e => e.DownloadBitsPerSecond!.Value).ToArray();
        return new TelemetryAggregates(
            window.Count,
            window.Sum(e => (long)InferencesOf(e)),
            window.Sum(e => (long)e.Errors),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            window.Max(e => e.MemoryBytes),
            confidenceWeight == 0 ? null : confidenceSum / confidenceWeight,
            bandwidths.Length == 0 ? null : (long)bandwidths.Average());
    }

    /// <summary>A report's latencies may be a sample: its own count of inferences wins when it has one.</summary>
    private static int InferencesOf(TelemetryWindowEntry entry) => entry.Inferences ?? entry.LatenciesMs.Length;

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
