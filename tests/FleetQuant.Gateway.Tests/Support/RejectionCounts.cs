using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FleetQuant.Grains.Observability;

namespace FleetQuant.Gateway.Tests.Support;

/// <summary>
/// Totals of <c>fleetquant.rejected</c> by reason label since this process started listening. The meter is static and
/// shared by every host in the test process, so tests compare before/after deltas of reasons only they produce.
/// </summary>
internal static class RejectionCounts
{
    private static readonly ConcurrentDictionary<string, long> Totals = new(StringComparer.Ordinal);
    private static readonly MeterListener Listener = Start();

    public static long Of(RejectionReason reason)
    {
        GC.KeepAlive(Listener);
        return Totals.GetValueOrDefault(RejectionReasons.Label(reason));
    }

    private static MeterListener Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == FleetQuantMetrics.MeterName && instrument.Name == "fleetquant.rejected")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason" && tag.Value is string reason)
                {
                    Totals.AddOrUpdate(reason, value, (_, total) => total + value);
                }
            }
        });
        listener.Start();
        return listener;
    }
}
