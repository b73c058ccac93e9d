namespace FleetQuant.Grains.Rollouts;

/// <summary>Compares canary telemetry with devices still on the previous version against a health gate.</summary>
public static class HealthCheck
{
    /// <summary>Null when the canary is healthy enough, else the reason to hold the wave.</summary>
    public static string? Hold(HealthGate gate, HealthSample canary, HealthSample? baseline)
    {
        if (canary.Devices == 0)
        {
            return "waiting for telemetry from the updated devices";
        }
        if (baseline is null || baseline.Devices == 0)
        {
            // Nothing to compare with (every device moved in one wave and none reported before): soak time alone gates.
            return null;
        }
        if (gate.MaxLatencyRegression is { } maxLatency && canary.LatencyP95Ms is { } canaryP95 && baseline.LatencyP95Ms is { } baseP95 && baseP95 > 0)
        {
            var regression = canaryP95 / baseP95 - 1;
            if (regression > maxLatency)
            {
                return $"canary p95 latency {canaryP95:0.##} ms vs {baseP95:0.##} ms on the previous version (+{regression:P0}, allowed +{maxLatency:P0})";
            }
        }
        if (gate.MaxConfidenceDrop is { } maxDrop && canary.Confidence is { } canaryConfidence && baseline.Confidence is { } baseConfidence)
        {
            var drop = baseConfidence - canaryConfidence;
            if (drop > maxDrop)
            {
                return $"canary mean top-1 confidence {canaryConfidence:0.###} vs {baseConfidence:0.###} on the previous version (drop {drop:0.###}, allowed {maxDrop:0.###})";
            }
        }
        return null;
    }
}
