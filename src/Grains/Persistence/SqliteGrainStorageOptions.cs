using Orleans;
using Orleans.Storage;

namespace FleetQuant.Grains.Persistence;

/// <summary>Options for one named <see cref="SqliteGrainStorage"/> provider.</summary>
public sealed class SqliteGrainStorageOptions : SqliteDatabaseOptions, IStorageProviderSerializerOptions
{
    /// <summary>Serializer for grain state; defaults to the one Orleans is configured with.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>Silo lifecycle stage at which the schema is created and the database checked.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;
}
