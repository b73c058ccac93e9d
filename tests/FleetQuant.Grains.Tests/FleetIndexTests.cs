using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;

namespace FleetQuant.Grains.Tests;

public sealed class FleetIndexTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    [Fact]
    public async Task List_ManyDevicesAcrossShards_PagesInIdOrderWithoutGapsOrRepeats()
    {
        var ids = Enumerable.Range(0, 400).Select(i => $"index-{i:D4}").ToArray();
        Assert.True(ids.Select(FleetShards.ShardOf).Distinct().Count() > FleetShards.Count / 2);
        await Task.WhenAll(ids.Select((id, i) => fleet.ProvisionAsync(id, i % 2 == 0 ? "even-class" : "odd-class",
            tags: new Dictionary<string, string> { ["site"] = i < 100 ? "berlin" : "lyon" })));
        var query = fleet.Client.GetGrain<IFleetQueryGrain>(0);
        var all = new TargetSelector(new Dictionary<string, string>(), [], []);

        var listed = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await query.List(all, after, 150);
            Assert.Equal(400, page.Total);
            if (page.Devices.Count == 0)
            {
                break;
            }
            listed.AddRange(page.Devices.Select(d => d.DeviceId));
            after = page.Devices[^1].DeviceId;
        }

        Assert.Equal(ids, listed);
    }

    [Fact]
    public async Task Select_ByClassTagsAndIds_MatchesTheDocumentedRule()
    {
        var ids = Enumerable.Range(0, 120).Select(i => $"select-{i:D3}").ToArray();
        await Task.WhenAll(ids.Select((id, i) => fleet.ProvisionAsync(id, i % 3 == 0 ? "cam-a" : "cam-b",
            tags: new Dictionary<string, string> { ["fleet"] = "select", ["ring"] = i < 60 ? "canary" : "main" })));
        var query = fleet.Client.GetGrain<IFleetQueryGrain>(0);

        var byClass = await query.Select(new TargetSelector(new Dictionary<string, string> { ["fleet"] = "select" }, ["cam-a"], []));
        var byTags = await query.Select(new TargetSelector(new Dictionary<string, string> { ["fleet"] = "select", ["ring"] = "canary" }, [], []));
        var both = await query.Select(new TargetSelector(new Dictionary<string, string> { ["ring"] = "canary", ["fleet"] = "select" }, ["cam-b"], ["select-119"]));

        Assert.Equal(40, byClass.Count);
        Assert.Equal(60, byTags.Count);
        Assert.Equal(byTags.Order(StringComparer.Ordinal), byTags);
        Assert.Equal(41, both.Count);
        Assert.Contains("select-119", both);
    }
}
