using Microsoft.Data.Sqlite;

namespace FleetQuant.Grains.Persistence;

/// <summary>
/// One SQLite database file shared by a provider's operations. Microsoft.Data.Sqlite does its I/O synchronously, so
/// every operation runs on the thread pool (never on the Orleans scheduler). Writes go through one connection behind
/// an async gate, so writers inside this process queue instead of spinning on the file lock; reads use pooled
/// connections and never wait for writers (WAL).
/// </summary>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _schemaSql;
    private readonly SqliteDatabaseOptions _options;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private SqliteConnection? _writer;
    private bool _disposed;

    public SqliteDatabase(SqliteDatabaseOptions options, string schemaSql)
    {
        var problem = options.Validate();
        if (problem is not null)
        {
            throw new SqliteStorageException($"Invalid SQLite storage options: {problem}.");
        }

        _options = options;
        _schemaSql = schemaSql;
        _connectionString = options.ResolveConnectionString();
        FilePath = new SqliteConnectionStringBuilder(_connectionString).DataSource;
    }

    /// <summary>The database file (or data source) this instance opens, for messages.</summary>
    public string FilePath { get; }

    /// <summary>Opens the write connection, switches the file to WAL and creates the schema if this has not happened yet.</summary>
    public Task EnsureInitializedAsync(CancellationToken cancellationToken) =>
        WriteAsync(static _ => true, cancellationToken);

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writer is null)
        {
            // The first operation creates the schema, so a read on a fresh file finds the table.
            await EnsureInitializedAsync(cancellationToken);
        }

        return await Task.Run(() =>
        {
            using var connection = Open();
            return work(connection);
        }, cancellationToken);
    }

    public async Task<T> WriteAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await Task.Run(() =>
            {
                _writer ??= OpenWriter();
                return work(_writer);
            }, cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            _disposed = true;
            if (_writer is not null)
            {
                await _writer.DisposeAsync();
                _writer = null;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private SqliteConnection OpenWriter()
    {
        var connection = Open();
        try
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, _schemaSql);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private SqliteConnection Open()
    {
        if (string.IsNullOrWhiteSpace(_options.ConnectionString))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            var busyMilliseconds = (long)_options.BusyTimeout.TotalMilliseconds;
            var synchronous = _options.SynchronousFull ? "FULL" : "NORMAL";
            Execute(connection, $"PRAGMA busy_timeout={busyMilliseconds}; PRAGMA synchronous={synchronous};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
