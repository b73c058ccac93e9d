using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Output;
using Spectre.Console;

namespace FleetQuant.Cli.Operator;

/// <summary>Polls a rollout until it finishes, drawing a progress bar (devices done of targets) on stderr.</summary>
public static class RolloutWatcher
{
    public static bool IsFinished(RolloutState state) => state is RolloutState.Completed or RolloutState.Aborted or RolloutState.RolledBack;

    /// <summary>Devices the rollout is done with: succeeded, failed, unfit or rolled back.</summary>
    public static int Done(RolloutView view) =>
        view.Counts.Where(c => c.Key is not (DeviceRolloutStatus.Waiting or DeviceRolloutStatus.Dispatched)).Sum(c => c.Value);

    public static async Task<RolloutView> WatchAsync(OperatorClient client, string rolloutId, TimeSpan interval, CancellationToken cancellationToken)
    {
        var path = $"/api/rollouts/{Uri.EscapeDataString(rolloutId)}";
        var view = ApiJson.Read<RolloutView>(await client.GetAsync(path, cancellationToken));
        if (IsFinished(view.State))
        {
            return view;
        }
        await Consoles.Progress.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Describe(view), maxValue: Math.Max(1, view.Targets));
                while (true)
                {
                    task.MaxValue = Math.Max(1, view.Targets);
                    task.Value = Done(view);
                    task.Description = Describe(view);
                    if (IsFinished(view.State))
                    {
                        task.StopTask();
                        return;
                    }
                    await Task.Delay(interval, cancellationToken);
                    view = ApiJson.Read<RolloutView>(await client.GetAsync(path, cancellationToken));
                }
            });
        return view;
    }

    private static string Describe(RolloutView view) =>
        Markup.Escape($"{view.RolloutId} wave {Math.Min(view.CurrentWave + 1, view.WaveCount)}/{view.WaveCount} {view.State.ToString().ToLowerInvariant()}: " +
            $"{Count(view, DeviceRolloutStatus.Succeeded)} ok, {Count(view, DeviceRolloutStatus.Failed)} failed, " +
            $"{Count(view, DeviceRolloutStatus.Unfit)} unfit, {Count(view, DeviceRolloutStatus.Dispatched)} in flight");

    private static int Count(RolloutView view, DeviceRolloutStatus status) => view.Counts.TryGetValue(status, out var n) ? n : 0;
}
