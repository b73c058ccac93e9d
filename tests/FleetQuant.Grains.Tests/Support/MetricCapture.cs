using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FleetQuant.Grains.Observability;

namespace FleetQuant.Grains.Tests.Support;

/// <summary>Records every measurement of one FleetQuant instrument while alive (the silo runs in this process).</summary>
public sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(double Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MetricCapture(string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == FleetQuantMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, v, tags, _) => Add(v, tags));
        _listener.SetMeasurementEventCallback<long>((_, v, tags, _) => Add(v, tags));
        _listener.Start();
    }

    /// <summary>Values whose tag <paramref name="key"/> is <paramref name="value"/>.</summary>
    public IReadOnlyList<double> Where(string key, string value) =>
        [.. _measurements.Where(m => m.Tags.TryGetValue(key, out var v) && Equals(v, value)).Select(m => m.Value)];

    public void Dispose() => _listener.Dispose();

    private void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }
        _measurements.Enqueue((value, copy));
    }
}
