using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetQuant.Grains.Transfers;

/// <summary>Silo-side services behind artifact transfers: the hot-object cache and the chunk tables of transfer objects.</summary>
public static class TransferServicesExtensions
{
    public static IServiceCollection AddFleetQuantTransfers(this IServiceCollection services)
    {
        services.TryAddSingleton(new HotObjectCache());
        services.TryAddSingleton<TransferObjectIndex>();
        return services;
    }
}
