using Microsoft.Data.Sqlite;

namespace FleetQuant.Grains.Persistence;

/// <summary>
/// Where a SQLite-backed provider keeps its data: a data directory (the database file is created inside it) or an
/// explicit connection string, plus how long a writer waits for the file lock.
/// </summary>
public abstract class SqliteDatabaseOptions
{
    /// <summary>File name used inside <see cref="DataDirectory"/>.</summary>
    public const string DefaultFileName = "fleetquant.db";

    /// <summary>Directory holding the database file; created when missing. Ignored when a connection string is set.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Full Microsoft.Data.Sqlite connection string; takes precedence over <see cref="DataDirectory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long a statement waits for another writer to release the database before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Flush to disk on every commit (<c>synchronous=FULL</c>). The default (<c>NORMAL</c>, with WAL) survives a process
    /// crash; FULL also survives power loss at the cost of an fsync per write.
    /// </summary>
    public bool SynchronousFull { get; set; }

    /// <summary>Returns a description of what is wrong with these options, or null when they are usable.</summary>
    public virtual string? Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(DataDirectory))
        {
            return "set either DataDirectory or ConnectionString";
        }

        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            try
            {
                _ = new SqliteConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException ex)
            {
                return $"ConnectionString is not a valid SQLite connection string: {ex.Message}";
            }
        }

        if (BusyTimeout <= TimeSpan.Zero || BusyTimeout > TimeSpan.FromHours(1))
        {
            return $"BusyTimeout must be between 0 and 1 hour, got {BusyTimeout}";
        }

        return null;
    }

    /// <summary>The connection string to open, with pooling on and the busy timeout applied.</summary>
    internal string ResolveConnectionString()
    {
        var builder = string.IsNullOrWhiteSpace(ConnectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(Path.GetFullPath(DataDirectory!), DefaultFileName) }
            : new SqliteConnectionStringBuilder(ConnectionString);
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.Pooling = true;
        builder.DefaultTimeout = (int)Math.Ceiling(BusyTimeout.TotalSeconds);
        return builder.ToString();
    }
}
