using System.Diagnostics;

namespace FleetQuant.Gateway.Tests.Support;

/// <summary>Polls a condition until it holds or a deadline passes (no fixed sleeps as synchronisation).</summary>
internal static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
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
