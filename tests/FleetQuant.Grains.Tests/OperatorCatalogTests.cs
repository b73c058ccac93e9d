using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Tests.Support;

namespace FleetQuant.Grains.Tests;

public sealed class OperatorCatalogTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    [Fact]
    public async Task ListNewestFirst_PagesInReverseRegistrationOrder_NotIdOrder()
    {
        var catalog = fleet.Client.GetGrain<IOperatorCatalogGrain>("catalog-order-test");
        foreach (var id in new[] { "m", "z", "a", "q", "b" })
        {
            await catalog.Add(id);
        }
        await catalog.Add("z"); // already registered: keeps its place

        Assert.Equal(["b", "q", "a"], await catalog.ListNewestFirst(null, 3));
        Assert.Equal(["z", "m"], await catalog.ListNewestFirst("a", 3));
        Assert.Empty(await catalog.ListNewestFirst("m", 3));
        Assert.Empty(await catalog.ListNewestFirst("never-added", 3));
        Assert.Equal(["a", "b", "m", "q", "z"], await catalog.List(null, 10));
    }
}
