namespace FleetQuant.DeviceAgent.Transfer;

/// <summary>
/// How long to wait for a chunk before asking again: TCP's retransmission timer (RFC 6298) over chunk round trips.
/// A loaded Gateway that answers in 8 s raises the time-out rather than drawing duplicate requests, each of which costs
/// a whole chunk on the device's link. It never drops below its starting value: over MQTT's reliable delivery a chunk
/// is rarely lost, and a sudden load spike after quick answers would otherwise draw several duplicates per chunk.
/// </summary>
public sealed class RetransmitTimeout
{
    private readonly TimeSpan _floor;
    private readonly TimeSpan _ceiling;
    private TimeSpan? _smoothed;
    private TimeSpan _variation;

    /// <param name="floor">The time-out before any round trip is measured, and the least it ever is.</param>
    /// <param name="ceiling">Never more, also after backing off.</param>
    public RetransmitTimeout(TimeSpan floor, TimeSpan ceiling)
    {
        _floor = floor;
        _ceiling = ceiling;
        Current = Clamp(floor);
    }

    public TimeSpan Current { get; private set; }

    /// <summary>Feeds the round trip of a request answered without ambiguity (the answer names that request).</summary>
    public void Observe(TimeSpan roundTrip)
    {
        if (roundTrip < TimeSpan.Zero)
        {
            return;
        }
        if (_smoothed is not { } smoothed)
        {
            _smoothed = roundTrip;
            _variation = roundTrip / 2;
        }
        else
        {
            _variation = (3 * _variation + (smoothed - roundTrip).Duration()) / 4;
            _smoothed = (7 * smoothed + roundTrip) / 8;
        }
        Current = Clamp(_smoothed.Value + 4 * _variation);
    }

    /// <summary>The wait for the given attempt at one chunk: doubled per attempt, up to the ceiling.</summary>
    public TimeSpan ForAttempt(int attempt) =>
        TimeSpan.FromTicks(Math.Min(_ceiling.Ticks, Current.Ticks << Math.Clamp(attempt - 1, 0, 16)));

    private TimeSpan Clamp(TimeSpan value) => value < _floor ? _floor : value > _ceiling ? _ceiling : value;
}
