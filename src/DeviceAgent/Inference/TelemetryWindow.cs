using FleetQuant.Protocol.Messages;

namespace FleetQuant.DeviceAgent.Inference;

/// <summary>Aggregates inference results between two telemetry messages.</summary>
public sealed class TelemetryWindow
{
    private readonly Lock _gate = new();
    private readonly List<double> _latenciesMs = [];
    private double _confidenceSum;
    private int _errors;

    public void RecordSuccess(double latencyMs, double confidence)
    {
        lock (_gate)
        {
            _latenciesMs.Add(latencyMs);
            _confidenceSum += confidence;
        }
    }

    public void RecordError()
    {
        lock (_gate)
        {
            _errors++;
        }
    }

    /// <summary>Returns the aggregates since the last call and starts a new window.</summary>
    public TelemetryMessage Drain(DateTimeOffset now, string? artifactSha256, long memoryBytes, long? downloadBitsPerSecond)
    {
        lock (_gate)
        {
            _latenciesMs.Sort();
            var message = new TelemetryMessage
            {
                At = now,
                ArtifactSha256 = artifactSha256,
                Inferences = _latenciesMs.Count,
                Errors = _errors,
                LatencyP50Ms = Percentile(0.50),
                LatencyP95Ms = Percentile(0.95),
                MeanConfidence = _latenciesMs.Count == 0 ? 0 : _confidenceSum / _latenciesMs.Count,
                MemoryBytes = memoryBytes,
                DownloadBitsPerSecond = downloadBitsPerSecond,
            };
            _latenciesMs.Clear();
            _confidenceSum = 0;
            _errors = 0;
            return message;
        }
    }

    private double Percentile(double p) =>
        _latenciesMs.Count == 0 ? 0 : _latenciesMs[Math.Min(_latenciesMs.Count - 1, (int)Math.Ceiling(p * _latenciesMs.Count) - 1)];
}
