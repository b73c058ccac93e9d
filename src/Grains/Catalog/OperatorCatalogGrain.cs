using FleetQuant.Grains.Hosting;

namespace FleetQuant.Grains.Catalog;

/// <summary>Persistent sorted set of ids (models or rollouts) for operator listings, which also remembers the order they came in.</summary>
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
        var order = RegistrationOrder();
        if (ids.Count >= MaxEntries)
        {
            throw new CatalogFullException(this.GetPrimaryKeyString(), MaxEntries);
        }
        ids.Insert(~index, id);
        order.Add(id);
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

    public Task<IReadOnlyList<string>> ListNewestFirst(string? afterId, int take)
    {
        var order = RegistrationOrder();
        var start = order.Count - 1;
        if (afterId is not null)
        {
            // An id that is not (or no longer) registered gives an empty page rather than restarting from the newest.
            start = order.LastIndexOf(afterId) - 1;
        }
        var page = new List<string>(Math.Clamp(take, 0, Math.Max(0, start + 1)));
        for (var i = start; i >= 0 && page.Count < take; i--)
        {
            page.Add(order[i]);
        }
        return Task.FromResult<IReadOnlyList<string>>(page);
    }

    /// <summary>
    /// Ids oldest first. State written before the order was kept has ids without it: they count as older than any
    /// registered since, in id order.
    /// </summary>
    private List<string> RegistrationOrder()
    {
        var s = state.State;
        if (s.Order.Count < s.Ids.Count)
        {
            var known = s.Order.ToHashSet(StringComparer.Ordinal);
            s.Order = [.. s.Ids.Where(id => !known.Contains(id)), .. s.Order];
        }
        return s.Order;
    }
}

/// <summary>Ids of one operator catalog, kept sorted (ordinal), and the same ids in registration order.</summary>
[GenerateSerializer, Alias("fq.OperatorCatalogState")]
public sealed class OperatorCatalogState
{
    [Id(0)]
    public List<string> Ids { get; set; } = [];

    [Id(1)]
    public List<string> Order { get; set; } = [];
}
