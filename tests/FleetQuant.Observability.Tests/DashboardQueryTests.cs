using System.Net;
using System.Net.Http.Headers;
using FleetQuant.Observability.Tests.Support;
using FleetQuant.TestSupport.Server;
using Xunit.Abstractions;

namespace FleetQuant.Observability.Tests;

/// <summary>
/// The dashboards against a real Prometheus scraping a real all-in-one host after two rollouts: every panel's PromQL
/// must parse and return data, and the bandwidth numbers must equal what the rollouts actually sent.
/// </summary>
[Trait("Category", "Prometheus")]
[Trait("Category", "Mosquitto")]
public sealed class DashboardQueryTests(ObservedFleet fleet, ITestOutputHelper output) : IClassFixture<ObservedFleet>
{
    [Fact]
    public async Task EveryDashboardQuery_ParsesAndReturnsData()
    {
        var queries = GrafanaDashboard.LoadAll()
            .SelectMany(d => d.Queries().Select(q => (Name: $"{d.File} / {q.Panel} / {q.RefId}", q.Expression)))
            .ToList();
        var failures = new List<string>();
        var noData = queries;
        // A series born late (the watchdog's first check, the last telemetry) may need a scrape or two more before
        // rate() has two samples of it; a query still empty at the deadline fails.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var empty = new List<(string Name, string Expression)>();
            foreach (var query in noData)
            {
                try
                {
                    if ((await fleet.Prometheus.QueryAsync(query.Expression)).Samples.Count == 0)
                    {
                        empty.Add(query);
                    }
                }
                catch (InvalidOperationException ex)
                {
                    failures.Add($"{query.Name}: {ex.Message}");
                }
            }
            noData = empty;
            if (noData.Count == 0 || DateTime.UtcNow > deadline)
            {
                break;
            }
            await fleet.Prometheus.WaitForNextScrapeAsync(TimeSpan.FromSeconds(30));
        }
        failures.AddRange(noData.Select(q => $"{q.Name}: no data for `{q.Expression}`"));
        var evaluated = queries.Count;
        var scrape = await fleet.Prometheus.QueryAsync("""max_over_time(scrape_duration_seconds{job="fleetquant"}[5m])""");
        var series = await fleet.Prometheus.QueryAsync("""scrape_samples_scraped{job="fleetquant"}""");
        output.WriteLine($"{evaluated} dashboard queries evaluated, {failures.Count} failed; slowest scrape {scrape.Single() * 1000:0.0} ms, {series.Single():0} samples per scrape");
        Assert.True(evaluated >= 40, $"only {evaluated} dashboard queries found");
        Assert.True(failures.Count == 0, $"{failures.Count} of {evaluated} dashboard queries failed:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task BandwidthSaved_InPromQL_EqualsWhatTheRolloutsSent()
    {
        var sent = (await fleet.Prometheus.QueryAsync("sum(fleetquant_update_sent_bytes_total)")).Single();
        var baseline = (await fleet.Prometheus.QueryAsync("sum(fleetquant_update_baseline_bytes_total)")).Single();
        var saved = (await fleet.Prometheus.QueryAsync("sum(fleetquant_update_baseline_bytes_total) - sum(fleetquant_update_sent_bytes_total)")).Single();
        var ratio = (await fleet.Prometheus.QueryAsync("sum(fleetquant_update_baseline_bytes_total) / sum(fleetquant_update_sent_bytes_total)")).Single();

        output.WriteLine($"{fleet.Updates} updates: sent {sent:0} bytes, FP32 baseline {baseline:0} bytes, saved {saved:0} bytes, ratio {ratio:0.00}x");
        Assert.Equal(fleet.SentBytes, (long)sent);
        Assert.Equal(fleet.BaselineBytes, (long)baseline);
        Assert.Equal(fleet.BaselineBytes - fleet.SentBytes, (long)saved);
        Assert.Equal((double)fleet.BaselineBytes / fleet.SentBytes, ratio, 6);
        Assert.True(ratio > 1, $"the rollouts should have cost less than FP32 downloads; ratio {ratio:0.00}");
    }

    [Fact]
    public async Task UpdatesByTransfer_SeparateFullV1FromDeltaV2()
    {
        var byTransfer = await fleet.Prometheus.QueryAsync("""sum by (transfer) (fleetquant_updates_total{result="succeeded"})""");
        var counts = byTransfer.Samples.ToDictionary(s => s.Labels["transfer"], s => s.Value);

        Assert.Equal(fleet.Updates / 2, counts.GetValueOrDefault("full"));
        Assert.Equal(fleet.Updates / 2, counts.GetValueOrDefault("delta"));
    }

    [Fact]
    public async Task FleetGauge_CountsEveryDeviceUpToDateOnV2()
    {
        var byState = await fleet.Prometheus.QueryAsync("sum by (state) (fleetquant_fleet_devices)");

        var sample = Assert.Single(byState.Samples);
        Assert.Equal("up_to_date", sample.Labels["state"]);
        Assert.Equal(3, sample.Value);
    }

    [Fact]
    public async Task RolloutGauges_ReportCompletedRolloutsWithEveryDeviceSucceeded()
    {
        var succeeded = await fleet.Prometheus.QueryAsync("""fleetquant_rollout_devices{status="succeeded"}""");
        var completed = await fleet.Prometheus.QueryAsync("""fleetquant_rollout_state{state="completed"} == 1""");

        Assert.Equal(["obs-ro-v1", "obs-ro-v2"], succeeded.Samples.Select(s => s.Labels["rollout"]).Order());
        Assert.All(succeeded.Samples, s => Assert.Equal(3, s.Value));
        Assert.Equal(2, completed.Samples.Count);
    }

    [Fact]
    public async Task RefusalsPanel_ShowsTheWrongPasswordConnect_ByReason()
    {
        var panel = GrafanaDashboard.LoadAll().Single(d => d.File == "fleet.json").Queries().Single(q => q.Panel == "Refusals / s by reason");

        var byReason = await fleet.Prometheus.QueryAsync(panel.Expression);

        Assert.Equal("sum by (reason) (rate(fleetquant_rejected_total[5m]))", panel.Expression);
        Assert.Contains(byReason.Samples, s => s.Labels["reason"] == "auth");
    }

    [Fact]
    public async Task MetricsEndpoint_WithATokenConfigured_Answers401WithoutItOrWithAnother()
    {
        using var missing = await fleet.Host.Anonymous.GetAsync("/metrics");
        using var wrong = await fleet.Host.Anonymous.SendAsync(MetricsRequest(MetricsHost.MetricsToken + "x"));
        using var operatorToken = await fleet.Host.Anonymous.SendAsync(MetricsRequest(AllInOneHost.Token));
        using var right = await fleet.Host.Anonymous.SendAsync(MetricsRequest(MetricsHost.MetricsToken));

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.DoesNotContain("fleetquant_", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, operatorToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("fleetquant_", await right.Content.ReadAsStringAsync());
        Assert.Contains("\"metrics\":\"/metrics\"", await fleet.Host.Anonymous.GetStringAsync("/"));
        // The real Prometheus scrapes with the token from its credentials_file: the target is up.
        var up = await fleet.Prometheus.QueryAsync("""up{job="fleetquant"}""");
        Assert.Equal(1, up.Single());
    }

    [Fact]
    public async Task MetricsEndpoint_CarriesNoDeviceIds()
    {
        using var response = await fleet.Host.Anonymous.SendAsync(MetricsRequest(MetricsHost.MetricsToken));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Contains("fleetquant_update_sent_bytes_total", text);
        Assert.DoesNotContain("obs-dev-", text);
    }

    private static HttpRequestMessage MetricsRequest(string token) => new(HttpMethod.Get, "/metrics")
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
    };
}
