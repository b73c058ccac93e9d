using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetQuant.Grains.Gateway;

/// <summary>Silo-side services behind the Gateway-facing grains: manifest key and options, chunk tables, hot-object cache.</summary>
public static class GatewaySupportExtensions
{
    public static IServiceCollection AddFleetQuantManifests(this IServiceCollection services)
    {
        services.AddOptions<ManifestOptions>().BindConfiguration(ManifestOptions.Section)
            .Validate(o => o.ChunkSize is > 0 and <= FleetQuant.Protocol.Transfer.ChunkTable.MaxChunkSize, $"{ManifestOptions.Section}:ChunkSize must be 1..131072")
            .Validate(o => o.Lifetime > TimeSpan.Zero, $"{ManifestOptions.Section}:Lifetime must be positive")
            .Validate(o => o.RotationLifetime > TimeSpan.Zero, $"{ManifestOptions.Section}:RotationLifetime must be positive")
            .ValidateOnStart();
        services.TryAddSingleton<ManifestKey>();
        services.TryAddSingleton(new HotObjectCache());
        services.TryAddSingleton<TransferObjectIndex>();
        services.TryAddSingleton<SmokeTestIndex>();
        services.TryAddSingleton<InputHintsCache>();
        return services;
    }
}
