namespace FleetQuant.Grains.Catalog;

/// <summary>
/// The ids an operator can list (string key: <see cref="OperatorCatalogs.Models"/> or <see cref="OperatorCatalogs.Rollouts"/>):
/// model and rollout grains are addressed by id, so listing them needs this small registry.
/// </summary>
[Alias("fq.IOperatorCatalogGrain")]
public interface IOperatorCatalogGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task Add(string id);

    /// <summary>Ids in order, after <paramref name="afterId"/>, at most <paramref name="take"/>.</summary>
    [Alias("List")]
    Task<IReadOnlyList<string>> List(string? afterId, int take);

    /// <summary>
    /// Ids newest registration first, starting after <paramref name="afterId"/> (the last id of the previous page), at
    /// most <paramref name="take"/>.
    /// </summary>
    [Alias("ListNewestFirst")]
    Task<IReadOnlyList<string>> ListNewestFirst(string? afterId, int take);
}

/// <summary>Keys of the operator catalogs.</summary>
public static class OperatorCatalogs
{
    public const string Models = "models";
    public const string Rollouts = "rollouts";
}

/// <summary>An operator catalog (models, rollouts) holds as many ids as it may.</summary>
[GenerateSerializer, Alias("fq.CatalogFullException")]
public sealed class CatalogFullException : Exception
{
    public CatalogFullException()
    {
    }

    public CatalogFullException(string catalog, int maxEntries) : base($"the '{catalog}' catalog is full ({maxEntries} entries)")
    {
    }
}
