using FleetQuant.Grains.Observability;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// Counts every refusal of the broker and bridge (<c>fleetquant_rejected_total</c>) and logs it as a Warning naming the
/// device, at most once per device per minute: a misbehaving device must not flood the log. Remembers at most
/// <see cref="MaxTrackedDevices"/> devices; beyond that, refusals of untracked devices are counted but not logged.
/// </summary>
public sealed class RefusalLog(ILogger<RefusalLog> logger, TimeProvider time)
{
    public const int MaxTrackedDevices = 10_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, long> _lastLogged = new(StringComparer.Ordinal);

    public RefusalLog(ILogger<RefusalLog> logger)
        : this(logger, TimeProvider.System)
    {
    }

    /// <summary>Records one refusal; <paramref name="device"/> is the device id or user name the client gave (may be null).</summary>
    public void Refused(RejectionReason reason, string? device, string what)
    {
        FleetQuantMetrics.RecordRejection(reason);
        if (ShouldLog(device ?? "(anonymous)"))
        {
            logger.LogWarning("refused {Reason} from device {Device}: {What} (further refusals of this device are not logged for a minute)",
                RejectionReasons.Label(reason), device ?? "(anonymous)", what);
        }
    }

    private bool ShouldLog(string device)
    {
        var now = time.GetTimestamp();
        lock (_lastLogged)
        {
            if (_lastLogged.TryGetValue(device, out var last) && time.GetElapsedTime(last, now) < Interval)
            {
                return false;
            }
            if (_lastLogged.Count >= MaxTrackedDevices && !_lastLogged.ContainsKey(device))
            {
                // Forget entries whose minute is over; if every one is recent, stay silent rather than grow.
                foreach (var stale in _lastLogged.Where(e => time.GetElapsedTime(e.Value, now) >= Interval).Select(e => e.Key).ToList())
                {
                    _lastLogged.Remove(stale);
                }
                if (_lastLogged.Count >= MaxTrackedDevices)
                {
                    return false;
                }
            }
            _lastLogged[device] = now;
            return true;
        }
    }
}
