using System.Diagnostics.Metrics;
using System.Text;
using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Rollouts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// Refreshes the observable gauges of <see cref="FleetQuantMetrics"/> every <see cref="MetricsOptions.SamplePeriod"/>:
/// device counts from the fleet index census, per-rollout progress and state, and ladder accuracy per recipe. A scrape
/// then reads the last sample instead of fanning out to grains. Several Gateways sample the same numbers, so
/// dashboards take <c>max without (instance)</c> over these gauges.
/// </summary>
public sealed class FleetGaugeSampler(IGrainFactory grains, IOptions<MetricsOptions> options, ILogger<FleetGaugeSampler> logger) : BackgroundService
{
    private readonly MetricsOptions _options = options.Value;

    /// <summary>Reads the grains once and builds the gauge values.</summary>
    public async Task<FleetGaugeSnapshot> SampleAsync()
    {
        var census = grains.GetGrain<IFleetQueryGrain>(0).Census();
        var rollouts = RolloutsAsync();
        var ladders = LaddersAsync();
        var devices = (await census).Select(e => new Measurement<long>(e.Devices,
            new("state", Label(e.State.ToString())),
            new("hardware_class", e.HardwareClass),
            new("model", e.ModelId ?? "none"),
            new("version", e.Version ?? "none"),
            new("recipe", e.RecipeId ?? "none"))).ToList();
        var (rolloutDevices, rolloutStates, rolloutWaves) = await rollouts;
        var (accuracy, wire) = await ladders;
        return new FleetGaugeSnapshot(devices, rolloutDevices, rolloutStates, rolloutWaves, accuracy, wire);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SamplePeriod);
        do
        {
            try
            {
                FleetQuantMetrics.PublishGauges(await SampleAsync());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The silo may be starting or gone: keep the last values and try again next period.
                logger.LogDebug("fleet gauges not refreshed: {Reason}", ex.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<(List<Measurement<long>> Devices, List<Measurement<long>> States, List<Measurement<long>> Waves)> RolloutsAsync()
    {
        var ids = await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Rollouts).ListNewestFirst(null, _options.MaxRollouts);
        var views = await Task.WhenAll(ids.Select(id => grains.GetGrain<IRolloutGrain>(id).GetView()));
        var devices = new List<Measurement<long>>();
        var states = new List<Measurement<long>>();
        var waves = new List<Measurement<long>>();
        foreach (var view in views.Where(v => v.Spec is not null))
        {
            var rollout = new KeyValuePair<string, object?>("rollout", view.RolloutId);
            var model = new KeyValuePair<string, object?>("model", view.Spec!.ModelId);
            var version = new KeyValuePair<string, object?>("version", view.Spec.Version);
            foreach (var (status, count) in view.Counts)
            {
                devices.Add(new Measurement<long>(count, rollout, model, version, new("status", Label(status.ToString()))));
            }
            // Every state is reported (0 or 1) so "how many rollouts are paused" is 0, not an empty result.
            foreach (var state in Enum.GetValues<RolloutState>())
            {
                states.Add(new Measurement<long>(state == view.State ? 1 : 0, rollout, model, version, new("state", Label(state.ToString()))));
            }
            var current = Math.Min(view.CurrentWave + 1, view.WaveCount);
            waves.Add(new Measurement<long>(current, rollout, new("kind", "current")));
            waves.Add(new Measurement<long>(view.WaveCount, rollout, new("kind", "total")));
        }
        return (devices, states, waves);
    }

    private async Task<(List<Measurement<double>> Accuracy, List<Measurement<long>> Wire)> LaddersAsync()
    {
        var ids = await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Models).List(null, _options.MaxModels);
        var models = await Task.WhenAll(ids.Select(id => grains.GetGrain<IModelGrain>(id).GetView()));
        var accuracy = new List<Measurement<double>>();
        var wire = new List<Measurement<long>>();
        foreach (var model in models)
        {
            foreach (var version in model.Versions)
            {
                if (version.Ladder is not { } ladder)
                {
                    continue;
                }
                var labels = new KeyValuePair<string, object?>[] { new("model", model.ModelId), new("version", version.Version), new("metric", ladder.Metric) };
                wire.Add(new Measurement<long>(ladder.Baseline.WireBytes, [.. labels, new("recipe", "fp32-baseline")]));
                foreach (var rung in ladder.Rungs.Where(r => r.Error is null))
                {
                    accuracy.Add(new Measurement<double>(rung.Accuracy, [.. labels, new("recipe", rung.Id)]));
                    wire.Add(new Measurement<long>(rung.WireBytes, [.. labels, new("recipe", rung.Id)]));
                }
            }
        }
        return (accuracy, wire);
    }

    /// <summary>Enum names as Prometheus-style label values: <c>RolledBack</c> → <c>rolled_back</c>.</summary>
    internal static string Label(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
