using FleetQuant.Protocol.Messages;

namespace FleetQuant.DeviceAgent.Inference;

/// <summary>
/// Collects inference results between two telemetry messages. Latencies are kept as samples, at most
/// <see cref="TelemetryMessage.MaxLatencySamples"/>: past that, reservoir sampling keeps a uniform sample, so memory
/// and message size stay bounded however long the interval.
/// </summary>
public sealed class TelemetryWindow(Random? random = null)
{
    private readonly Lock _gate = new();
    private readonly Random _random = random ?? Random.Shared;
    private readonly List<double> _latenciesMs = [];
    private double _confidenceSum;
    private int _inferences;
    private int _errors;

    public void RecordSuccess(double latencyMs, double confidence)
    {
        lock (_gate)
        {
            _inferences++;
            _confidenceSum += confidence;
            if (_latenciesMs.Count < TelemetryMessage.MaxLatencySamples)
            {
                _latenciesMs.Add(latencyMs);
                return;
            }
            // Algorithm R: the n-th result replaces a kept one with probability k/n.
            var slot = _random.Next(_inferences);
            if (slot < _latenciesMs.Count)
            {
                _latenciesMs[slot] = latencyMs;
            }
        }
    }

    public void RecordError()
    {
        lock (_gate)
        {
            _errors++;
        }
    }

    /// <summary>Returns what happened since the last call and starts a new window.</summary>
    public TelemetryMessage Drain(DateTimeOffset now, string? artifactSha256, long memoryBytes, long? downloadBitsPerSecond)
    {
        lock (_gate)
        {
            var message = new TelemetryMessage
            {
                At = now,
                ArtifactSha256 = artifactSha256,
                Inferences = _inferences,
                Errors = _errors,
                LatenciesMs = [.. _latenciesMs],
                MeanConfidence = _inferences == 0 ? null : _confidenceSum / _inferences,
                MemoryBytes = memoryBytes,
                DownloadBitsPerSecond = downloadBitsPerSecond,
            };
            _latenciesMs.Clear();
            _confidenceSum = 0;
            _inferences = 0;
            _errors = 0;
            return message;
        }
    }
}
