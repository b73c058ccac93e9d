using Orleans;
using Orleans.Runtime;

namespace FleetQuant.Grains.Persistence;

/// <summary>Stops the silo at startup when a SQLite provider's options are unusable, naming the provider and the problem.</summary>
internal sealed class SqliteOptionsValidator(SqliteDatabaseOptions options, string providerName) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var problem = options.Validate();
        if (problem is not null)
        {
            throw new OrleansConfigurationException($"SQLite provider '{providerName}': {problem}.");
        }
    }
}
