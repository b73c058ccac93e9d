using System.Collections.Concurrent;
using FleetQuant.Grains.Devices;

namespace FleetQuant.Gateway.Bridge;

/// <summary>
/// The last desired state seen per device, so chunk requests are checked without a grain call each. Bounded: when
/// full it starts over (entries are re-read from the grain on a miss).
/// </summary>
public sealed class DesiredStateCache
{
    private const int MaxEntries = 200_000;
    private readonly ConcurrentDictionary<string, DesiredState> _entries = new(StringComparer.Ordinal);

    public void Set(string deviceId, DesiredState? desired)
    {
        if (desired is null)
        {
            _entries.TryRemove(deviceId, out _);
            return;
        }
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        _entries[deviceId] = desired;
    }

    public DesiredState? Get(string deviceId) => _entries.TryGetValue(deviceId, out var desired) ? desired : null;

    /// <summary>The size of <paramref name="objectSha256"/> when it is the desired artifact or delta, else null.</summary>
    public static long? SizeOf(DesiredState? desired, string objectSha256) => desired switch
    {
        null => null,
        _ when desired.ArtifactHash == objectSha256 => desired.ArtifactBytes,
        { Delta: { } delta } when delta.DeltaHash == objectSha256 => delta.DeltaBytes,
        _ => null,
    };
}
