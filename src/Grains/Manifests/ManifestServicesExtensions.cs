using FleetQuant.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetQuant.Grains.Manifests;

/// <summary>Silo-side services behind <see cref="ManifestGrain"/>: signing key and options, smoke tests, input hints.</summary>
public static class ManifestServicesExtensions
{
    public static IServiceCollection AddFleetQuantManifests(this IServiceCollection services)
    {
        services.AddValidatedOptions<ManifestOptions>(ManifestOptions.Section);
        services.TryAddSingleton<ManifestKey>();
        services.TryAddSingleton<SmokeTestIndex>();
        services.TryAddSingleton<InputHintsCache>();
        return services;
    }
}
