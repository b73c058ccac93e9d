using System.Net;
using Orleans;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>Three silos on Redis; one leaves mid-flight; no grain state is lost and reminders carry on elsewhere.</summary>
[Trait("Category", "Redis")]
public sealed class RedisFailoverTests
{
    private static readonly TimeSpan TickPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StoppingOneOfThreeSilos_LosesNoGrainState_AndEveryReminderKeepsTickingOnce()
    {
        await using var cluster = await RedisTestCluster.StartAsync(3, TickPeriod);
        var grains = cluster.GrainFactory(0);
        var run = Guid.NewGuid().ToString("N");
        var devices = Enumerable.Range(0, 300).Select(i => $"{run}-device-{i}").ToList();
        var tickers = Enumerable.Range(0, 12).Select(i => $"{run}-ticker-{i}").ToList();

        await Task.WhenAll(devices.Select((key, i) => grains.GetGrain<IDurabilityProbeGrain>(key).Set(i)));
        await Task.WhenAll(tickers.Select(key => grains.GetGrain<IDurabilityProbeGrain>(key).StartTicking(TickPeriod)));
        await Task.WhenAll(tickers.Select(key => ProbeTicks.WaitAsync(key, 1, Deadline)));

        await cluster.StopSiloAsync(1);
        var before = tickers.ToDictionary(key => key, ProbeTicks.Latest);
        await Task.WhenAll(tickers.Select(key => ProbeTicks.WaitAsync(key, before[key] + 2, Deadline)));

        var survivor = cluster.GrainFactory(2);
        var values = await Task.WhenAll(devices.Select(key => survivor.GetGrain<IDurabilityProbeGrain>(key).Get()));
        Assert.Equal(Enumerable.Range(0, 300), values.Select(v => v.Value));
        foreach (var key in tickers)
        {
            var reported = ProbeTicks.Reported(key);
            Assert.Equal(reported.Count, reported.Distinct().Count());
        }
    }

    [Fact]
    public async Task EverySilo_ReportsHealthy_OnceItHasJoinedTheCluster()
    {
        await using var cluster = await RedisTestCluster.StartAsync(2, TickPeriod);
        using var http = new HttpClient();

        foreach (var silo in Enumerable.Range(0, 2))
        {
            var health = await http.GetAsync(new Uri(cluster.HttpAddress(silo), "/health"));
            var alive = await http.GetAsync(new Uri(cluster.HttpAddress(silo), "/alive"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
    }
}
