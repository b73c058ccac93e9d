using System.Diagnostics;
using System.Text.Json;
using FleetQuant.Observability.Tests.Support;

namespace FleetQuant.Observability.Tests;

/// <summary>The Grafana dashboards and provisioning, and the Prometheus config, as files Grafana and Prometheus accept.</summary>
public sealed class DeployFileTests
{
    private const string DatasourceUid = "fleetquant-prometheus";

    private static string GrafanaFile(params string[] parts) => Path.Combine([RepositoryFiles.Root, "deploy", "grafana", .. parts]);

    [Fact]
    public void Dashboards_CoverBandwidthRolloutsFleetAndCluster_WithUniqueUids()
    {
        var dashboards = GrafanaDashboard.LoadAll();

        Assert.Equal(["FleetQuant / Bandwidth", "FleetQuant / Cluster", "FleetQuant / Fleet", "FleetQuant / Rollouts"], dashboards.Select(d => d.Title).Order());
        var uids = dashboards.Select(d => d.Json.GetProperty("uid").GetString()).ToList();
        Assert.All(uids, uid => Assert.Matches("^[a-z0-9-]{1,40}$", uid));
        Assert.Equal(uids.Count, uids.Distinct().Count());
    }

    [Fact]
    public void EveryPanel_HasAPlaceATypeAndPrometheusTargetsOnTheProvisionedDatasource()
    {
        var problems = new List<string>();
        foreach (var dashboard in GrafanaDashboard.LoadAll())
        {
            Assert.True(dashboard.Json.GetProperty("schemaVersion").GetInt32() >= 36, $"{dashboard.File}: schemaVersion too old");
            var ids = new HashSet<int>();
            foreach (var panel in dashboard.Panels())
            {
                var title = panel.GetProperty("title").GetString();
                var where = $"{dashboard.File} / {title}";
                if (!ids.Add(panel.GetProperty("id").GetInt32()))
                {
                    problems.Add($"{where}: duplicate panel id");
                }
                if (string.IsNullOrWhiteSpace(title) || string.IsNullOrWhiteSpace(panel.GetProperty("type").GetString()))
                {
                    problems.Add($"{where}: missing title or type");
                }
                var grid = panel.GetProperty("gridPos");
                if (grid.GetProperty("w").GetInt32() is < 1 or > 24 || grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32() > 24 || grid.GetProperty("h").GetInt32() < 1)
                {
                    problems.Add($"{where}: gridPos outside Grafana's 24 columns");
                }
                var targets = panel.GetProperty("targets").EnumerateArray().ToList();
                if (targets.Count == 0)
                {
                    problems.Add($"{where}: no queries");
                }
                foreach (var target in targets.Prepend(panel))
                {
                    if (target.GetProperty("datasource").GetProperty("uid").GetString() != DatasourceUid)
                    {
                        problems.Add($"{where}: datasource is not the provisioned '{DatasourceUid}'");
                    }
                }
                if (targets.Any(t => string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString())) || targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count() != targets.Count)
                {
                    problems.Add($"{where}: a query without expression or with a repeated refId");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Provisioning_DeclaresTheDatasourceUidAndAFileDashboardProvider()
    {
        var datasource = File.ReadAllLines(GrafanaFile("provisioning", "datasources", "prometheus.yaml")).Select(l => l.Trim()).ToList();
        var dashboards = File.ReadAllLines(GrafanaFile("provisioning", "dashboards", "fleetquant.yaml")).Select(l => l.Trim()).ToList();

        Assert.Contains("apiVersion: 1", datasource);
        Assert.Contains($"uid: {DatasourceUid}", datasource);
        Assert.Contains("type: prometheus", datasource);
        Assert.Contains("apiVersion: 1", dashboards);
        Assert.Contains("type: file", dashboards);
        Assert.Contains(dashboards, l => l.StartsWith("path: /", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Prometheus")]
    public async Task PrometheusConfig_PassesPromtool()
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("config");
        start.ArgumentList.Add(PrometheusServer.ConfigPath);
        using var promtool = Process.Start(start)!;
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0, output);
    }
}
