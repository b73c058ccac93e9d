using System.Diagnostics;

namespace FleetQuant.TestSupport;

/// <summary>
/// The shared frame of the fuzz tests: how many cases (<c>FLEETQUANT_FUZZ_CASES</c>, else the test's CI default), a
/// per-case deadline that turns a hang into a failure naming the case, and a managed-memory check across the run.
/// </summary>
public static class FuzzRun
{
    public const string CasesVariable = "FLEETQUANT_FUZZ_CASES";

    /// <summary>Managed heap growth allowed across a whole run, after a forced collection on both sides.</summary>
    public const long MaxRetainedBytes = 64L << 20;

    public static int Cases(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), out var n) && n > 0 ? n : ciDefault;

    /// <summary>Runs <paramref name="work"/> off the caller's thread; a case that outlives the deadline fails the test.</summary>
    public static async Task<T> WithDeadline<T>(Func<Task<T>> work, TimeSpan deadline, string label)
    {
        try
        {
            return await Task.Run(work).WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{label}: did not finish within {deadline.TotalSeconds}s");
        }
    }

    public static long CollectedHeapBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Fails when the managed heap kept more than <see cref="MaxRetainedBytes"/> since <paramref name="before"/>.</summary>
    public static void AssertBoundedMemory(long before, string label)
    {
        var growth = CollectedHeapBytes() - before;
        Assert.True(growth < MaxRetainedBytes, $"{label}: managed heap grew by {growth >> 20} MiB over the run");
    }

    /// <summary>One line for the test log (and docs/BENCHMARKS.md): cases, time, peak working set, outcomes.</summary>
    public static string Summary(string name, int cases, Stopwatch clock, IReadOnlyDictionary<string, int> outcomes) =>
        $"fuzz {name}: {cases} cases in {clock.Elapsed.TotalSeconds:F1}s, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB: " +
        string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
}
