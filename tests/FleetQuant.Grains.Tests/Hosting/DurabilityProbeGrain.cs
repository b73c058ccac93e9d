using System.Collections.Concurrent;
using FleetQuant.Grains.Hosting;
using Orleans;
using Orleans.Runtime;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>A grain whose state and reminder ticks show whether a host's storage and reminders survive restarts and silo loss.</summary>
[Alias("FleetQuant.Tests.IDurabilityProbeGrain")]
public interface IDurabilityProbeGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task Set(int value);

    [Alias("Get")]
    Task<ProbeSnapshot> Get();

    [Alias("StartTicking")]
    Task StartTicking(TimeSpan period);
}

/// <summary>What a probe grain has stored.</summary>
[GenerateSerializer, Immutable, Alias("FleetQuant.Tests.ProbeSnapshot")]
public sealed record ProbeSnapshot([property: Id(0)] int Value, [property: Id(1)] int Ticks);

/// <summary>Persisted state of a probe grain.</summary>
[GenerateSerializer, Alias("FleetQuant.Tests.ProbeState")]
public sealed class ProbeState
{
    [Id(0)]
    public int Value { get; set; }

    [Id(1)]
    public int Ticks { get; set; }
}

/// <summary>Stores a value and counts reminder ticks, reporting each tick to <see cref="ProbeTicks"/>.</summary>
public sealed class DurabilityProbeGrain(
    [PersistentState("probe", StorageNames.Devices)] IPersistentState<ProbeState> state) : Grain, IDurabilityProbeGrain, IRemindable
{
    public const string ReminderName = "probe-tick";

    public async Task Set(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<ProbeSnapshot> Get() => Task.FromResult(new ProbeSnapshot(state.State.Value, state.State.Ticks));

    public Task StartTicking(TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, period, period);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.Ticks++;
        await state.WriteStateAsync();
        ProbeTicks.Report(this.GetPrimaryKeyString(), state.State.Ticks);
    }
}

/// <summary>
/// Lets a test await "grain X has ticked at least N times" without polling: silos in these tests run in the test
/// process, so the grain reports each persisted tick here.
/// </summary>
public static class ProbeTicks
{
    private static readonly ConcurrentDictionary<string, List<(int AtLeast, TaskCompletionSource Done)>> Waiters = new();
    private static readonly ConcurrentDictionary<string, int> LatestTicks = new();

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<int>> History = new();

    public static void Report(string key, int ticks)
    {
        History.GetOrAdd(key, _ => new ConcurrentQueue<int>()).Enqueue(ticks);
        LatestTicks[key] = ticks;
        var waiters = Waiters.GetOrAdd(key, _ => []);
        lock (waiters)
        {
            foreach (var waiter in waiters.Where(w => ticks >= w.AtLeast).ToList())
            {
                waiter.Done.TrySetResult();
                waiters.Remove(waiter);
            }
        }
    }

    /// <summary>The highest tick count <paramref name="key"/> has persisted and reported so far.</summary>
    public static int Latest(string key) => LatestTicks.GetValueOrDefault(key);

    /// <summary>Every tick count <paramref name="key"/> has reported, in order; a repeated count would mean two activations counted one tick.</summary>
    public static IReadOnlyList<int> Reported(string key) => History.TryGetValue(key, out var ticks) ? [.. ticks] : [];

    /// <summary>Completes once <paramref name="key"/> has persisted at least <paramref name="atLeast"/> ticks; fails after <paramref name="timeout"/>.</summary>
    public static async Task WaitAsync(string key, int atLeast, TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = Waiters.GetOrAdd(key, _ => []);
        lock (waiters)
        {
            if (LatestTicks.TryGetValue(key, out var ticks) && ticks >= atLeast)
            {
                return;
            }

            waiters.Add((atLeast, done));
        }

        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            LatestTicks.TryGetValue(key, out var seen);
            throw new TimeoutException($"Probe '{key}' reached {seen} reminder ticks within {timeout}, expected at least {atLeast}.");
        }
    }
}
