using System.Diagnostics;

namespace FleetQuant.Grains.Tests.Support;

/// <summary>Waits for a condition on grain state with a deadline, polling (no fixed sleeps as synchronisation).</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0} s waiting for {what}; last value: {value}");
            }
            await Task.Yield();
            await Task.Delay(20);
        }
    }
}
