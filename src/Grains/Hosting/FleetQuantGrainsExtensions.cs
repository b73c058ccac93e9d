using FleetQuant.Grains.Artifacts;
using FleetQuant.Grains.Compression;
using FleetQuant.Grains.Manifests;
using FleetQuant.Grains.Transfers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;

namespace FleetQuant.Grains.Hosting;

/// <summary>
/// Registers what the FleetQuant grains need besides grain storage and reminders, which the host binds to
/// the names in <see cref="StorageNames"/>.
/// </summary>
public static class FleetQuantGrainsExtensions
{
    /// <summary>Options (bound from configuration, validated at start-up), artifact store, compression service, time source and log filters.</summary>
    public static IServiceCollection AddFleetQuantGrains(this IServiceCollection services)
    {
        services.AddValidatedOptions<ArtifactStoreOptions>(ArtifactStoreOptions.Section);
        services.AddValidatedOptions<CompressionOptions>(CompressionOptions.Section);
        services.AddValidatedOptions<RolloutOptions>(RolloutOptions.Section);
        services.AddValidatedOptions<DeviceOptions>(DeviceOptions.Section);
        // TryAdd so tests (and other hosts) can register their own clock or store before calling this.
        services.TryAddSingleton(new FleetClock(TimeProvider.System));
        services.TryAddSingleton<IArtifactStore, FileArtifactStore>();
        services.TryAddSingleton<CompressionEngine>();
        services.TryAddSingleton<CompressionService>();
        services.AddFleetQuantManifests();
        services.AddFleetQuantTransfers();
        services.AddFleetQuantLogFilters();
        return services;
    }

    /// <inheritdoc cref="AddFleetQuantGrains(IServiceCollection)"/>
    public static ISiloBuilder AddFleetQuantGrains(this ISiloBuilder builder)
    {
        builder.Services.AddFleetQuantGrains();
        return builder;
    }
}
