using System.Diagnostics;

namespace FleetQuant.TestSupport;

/// <summary>Polls a condition until it holds or a deadline passes (no fixed sleeps as synchronisation).</summary>
public static class Eventually
{
    /// <summary>Reads until <paramref name="done"/> holds and returns that value; throws <see cref="TimeoutException"/> with the last value after <paramref name="timeout"/> (default 60 s).</summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0} s waiting for {what}; last value: {value}");
            }
            await Task.Delay(25);
        }
    }
}
