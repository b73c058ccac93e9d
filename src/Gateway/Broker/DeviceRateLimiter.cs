using FleetQuant.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// A token bucket per device for uplink messages (<c>FleetQuant:Mqtt:DeviceMessagesPerSecond</c>, burst
/// <c>DeviceMessageBurst</c>). Memory is bounded: at <see cref="MaxTrackedDevices"/> buckets, buckets that have refilled
/// (idle devices, indistinguishable from new ones) are forgotten; if none has, all are, which briefly forgives bursts.
/// </summary>
public sealed class DeviceRateLimiter(IOptions<MqttOptions> options, TimeProvider time)
{
    public const int MaxTrackedDevices = 100_000;
    private readonly double _rate = options.Value.DeviceMessagesPerSecond;
    private readonly double _burst = options.Value.DeviceMessageBurst;
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    public DeviceRateLimiter(IOptions<MqttOptions> options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Takes one message from the device's bucket; false when the device is over its rate.</summary>
    public bool TryAcquire(string deviceId)
    {
        var now = time.GetTimestamp();
        lock (_buckets)
        {
            if (!_buckets.TryGetValue(deviceId, out var bucket))
            {
                if (_buckets.Count >= MaxTrackedDevices)
                {
                    Sweep(now);
                }
                bucket = new Bucket { Tokens = _burst, Updated = now };
                _buckets[deviceId] = bucket;
            }
            bucket.Tokens = Math.Min(_burst, bucket.Tokens + time.GetElapsedTime(bucket.Updated, now).TotalSeconds * _rate);
            bucket.Updated = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }
            bucket.Tokens -= 1;
            return true;
        }
    }

    private void Sweep(long now)
    {
        foreach (var (id, bucket) in _buckets.ToList())
        {
            if (bucket.Tokens + time.GetElapsedTime(bucket.Updated, now).TotalSeconds * _rate >= _burst)
            {
                _buckets.Remove(id);
            }
        }
        if (_buckets.Count >= MaxTrackedDevices)
        {
            _buckets.Clear();
        }
    }

    private sealed class Bucket
    {
        public double Tokens;
        public long Updated;
    }
}
