using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace FleetQuant.Grains.Persistence;

/// <summary>
/// Grain storage in one SQLite table keyed by (grain type, grain id, state name). Every write replaces the row's
/// ETag with a fresh random value; a write or clear whose ETag does not match the stored one throws
/// <see cref="InconsistentStateException"/>, so two activations of one grain can never silently overwrite each other.
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS grain_state (
            grain_type  TEXT NOT NULL,
            grain_id    TEXT NOT NULL,
            state_name  TEXT NOT NULL,
            etag        TEXT NOT NULL,
            payload     BLOB NOT NULL,
            updated_utc TEXT NOT NULL,
            PRIMARY KEY (grain_type, grain_id, state_name)
        ) WITHOUT ROWID;
        """;

    private const string KeyFilter = "grain_type = $type AND grain_id = $id AND state_name = $state";

    private readonly string _name;
    private readonly SqliteGrainStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ILogger<SqliteGrainStorage> _logger;
    private readonly SqliteDatabase _database;

    /// <summary>Creates a provider; the database file and schema are created on first use.</summary>
    public SqliteGrainStorage(string name, SqliteGrainStorageOptions options, ILogger<SqliteGrainStorage> logger)
    {
        _name = name;
        _options = options;
        _serializer = options.GrainStorageSerializer
            ?? throw new SqliteStorageException($"Grain storage '{name}' has no GrainStorageSerializer configured.");
        _logger = logger;
        _database = new SqliteDatabase(options, Schema);
    }

    /// <summary>The database file this provider writes to.</summary>
    public string FilePath => _database.FilePath;

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = StateKey.Of(stateName, grainId);
        var row = await Run(key, "read", connection =>
        {
            using var command = key.Command(connection, $"SELECT etag, payload FROM grain_state WHERE {KeyFilter};");
            using var reader = command.ExecuteReader();
            return reader.Read() ? new StoredState(reader.GetString(0), (byte[])reader.GetValue(1)) : null;
        }, write: false, cancellationToken);

        if (row is not { } found)
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        try
        {
            grainState.State = _serializer.Deserialize<T>(BinaryData.FromBytes(found.Payload));
        }
        catch (Exception ex)
        {
            throw new SqliteStorageException(
                $"Grain storage '{_name}': the stored state {key} in {FilePath} cannot be read as {typeof(T).Name}: {ex.Message}", ex);
        }

        grainState.ETag = found.ETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = StateKey.Of(stateName, grainId);
        var payload = _serializer.Serialize(grainState.State).ToArray();
        var expected = grainState.ETag;
        var next = Guid.NewGuid().ToString("N");

        var stored = await Run(key, "write", connection =>
        {
            var sql = expected is null
                ? "INSERT INTO grain_state (grain_type, grain_id, state_name, etag, payload, updated_utc) " +
                  "VALUES ($type, $id, $state, $next, $payload, $now) ON CONFLICT DO NOTHING;"
                : $"UPDATE grain_state SET etag = $next, payload = $payload, updated_utc = $now WHERE {KeyFilter} AND etag = $expected;";
            using var command = key.Command(connection, sql);
            command.Parameters.AddWithValue("$next", next);
            command.Parameters.AddWithValue("$payload", payload);
            command.Parameters.AddWithValue("$now", DateTime.UtcNow.ToString("O"));
            if (expected is not null)
            {
                command.Parameters.AddWithValue("$expected", expected);
            }

            return command.ExecuteNonQuery() == 1 ? null : CurrentETag(connection, key) ?? "(none)";
        }, write: true, cancellationToken);

        if (stored is not null)
        {
            throw Conflict("write", key, stored, expected);
        }

        grainState.ETag = next;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = StateKey.Of(stateName, grainId);
        var expected = grainState.ETag;

        var stored = await Run(key, "clear", connection =>
        {
            if (expected is null)
            {
                // Clearing what was never written succeeds only while nothing has been written since.
                return CurrentETag(connection, key);
            }

            using var command = key.Command(connection, $"DELETE FROM grain_state WHERE {KeyFilter} AND etag = $expected;");
            command.Parameters.AddWithValue("$expected", expected);
            return command.ExecuteNonQuery() == 1 ? null : CurrentETag(connection, key) ?? "(none)";
        }, write: true, cancellationToken);

        if (stored is not null)
        {
            throw Conflict("clear", key, stored, expected);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{_name}", _options.InitStage, Init, Close);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private async Task Init(CancellationToken cancellationToken)
    {
        try
        {
            await _database.EnsureInitializedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new SqliteStorageException($"Grain storage '{_name}' cannot open {FilePath}: {ex.Message}", ex);
        }

        LogInitialized(_name, FilePath);
    }

    private Task Close(CancellationToken cancellationToken) => _database.DisposeAsync().AsTask();

    private async Task<TResult> Run<TResult>(
        StateKey key, string operation, Func<SqliteConnection, TResult> work, bool write, CancellationToken cancellationToken)
    {
        try
        {
            return write
                ? await _database.WriteAsync(work, cancellationToken)
                : await _database.ReadAsync(work, cancellationToken);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new SqliteStorageException(
                $"Grain storage '{_name}' failed to {operation} {key} in {FilePath}: {ex.Message}", ex);
        }
    }

    private static string? CurrentETag(SqliteConnection connection, StateKey key)
    {
        using var command = key.Command(connection, $"SELECT etag FROM grain_state WHERE {KeyFilter};");
        return command.ExecuteScalar() as string;
    }

    private InconsistentStateException Conflict(string operation, StateKey key, string stored, string? expected) =>
        new($"Grain storage '{_name}': {operation} of {key} rejected, it was changed by another writer " +
            $"(stored ETag {stored}, this activation had {expected ?? "none"}).", stored, expected ?? "(none)");

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain storage {Name} ready at {File}")]
    private partial void LogInitialized(string name, string file);

    private sealed record StoredState(string ETag, byte[] Payload);

    private readonly record struct StateKey(string GrainType, string GrainKey, string StateName)
    {
        public static StateKey Of(string stateName, GrainId grainId) =>
            new(grainId.Type.ToString()!, grainId.Key.ToString()!, stateName);

        public SqliteCommand Command(SqliteConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$type", GrainType);
            command.Parameters.AddWithValue("$id", GrainKey);
            command.Parameters.AddWithValue("$state", StateName);
            return command;
        }

        public override string ToString() => $"state '{StateName}' of grain {GrainType}/{GrainKey}";
    }
}
