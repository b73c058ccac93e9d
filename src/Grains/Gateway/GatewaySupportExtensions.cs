using FleetQuant.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetQuant.Grains.Gateway;

/// <summary>Silo-side services behind the Gateway-facing grains: manifest key and options, chunk tables, hot-object cache.</summary>
public static class GatewaySupportExtensions
{
    public static IServiceCollection AddFleetQuantManifests(this IServiceCollection services)
    {
        services.AddValidatedOptions<ManifestOptions>(ManifestOptions.Section);
        services.TryAddSingleton<ManifestKey>();
        services.TryAddSingleton(new HotObjectCache());
        services.TryAddSingleton<TransferObjectIndex>();
        services.TryAddSingleton<SmokeTestIndex>();
        services.TryAddSingleton<InputHintsCache>();
        return services;
    }
}
