using FleetQuant.Grains.Hosting;

namespace FleetQuant.Grains.Catalog;

/// <summary>Persistent sorted set of ids (models or rollouts) for operator listings.</summary>
public sealed class OperatorCatalogGrain(
    [PersistentState("catalog", StorageNames.Models)] IPersistentState<OperatorCatalogState> state) : Grain, IOperatorCatalogGrain
{
    public const int MaxEntries = 100_000;

    public async Task Add(string id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 128)
        {
            throw new ArgumentException("catalog ids must be 1..128 characters");
        }
        var ids = state.State.Ids;
        var index = ids.BinarySearch(id, StringComparer.Ordinal);
        if (index >= 0)
        {
            return;
        }
        if (ids.Count >= MaxEntries)
        {
            throw new CatalogFullException(this.GetPrimaryKeyString(), MaxEntries);
        }
        ids.Insert(~index, id);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List(string? afterId, int take)
    {
        var ids = state.State.Ids;
        var start = 0;
        if (afterId is not null)
        {
            var index = ids.BinarySearch(afterId, StringComparer.Ordinal);
            start = index >= 0 ? index + 1 : ~index;
        }
        IReadOnlyList<string> page = ids.Skip(start).Take(Math.Clamp(take, 0, MaxEntries)).ToList();
        return Task.FromResult(page);
    }
}

/// <summary>Ids of one operator catalog, kept sorted (ordinal).</summary>
[GenerateSerializer, Alias("fq.OperatorCatalogState")]
public sealed class OperatorCatalogState
{
    [Id(0)]
    public List<string> Ids { get; set; } = [];
}
