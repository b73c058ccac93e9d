using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace FleetQuant.Grains.Persistence;

/// <summary>
/// Orleans reminder table in SQLite, so reminders (e.g. a rollout's next step) survive a restart of a single-node
/// silo. Rows are scoped by service id and indexed by the grain's uniform hash, which is how the reminder service
/// asks for the reminders of its part of the ring.
/// </summary>
public sealed partial class SqliteReminderTable : IReminderTable, IAsyncDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS reminders (
            service_id    TEXT NOT NULL,
            grain_id      TEXT NOT NULL,
            reminder_name TEXT NOT NULL,
            grain_hash    INTEGER NOT NULL,
            start_ticks   INTEGER NOT NULL,
            period_ticks  INTEGER NOT NULL,
            etag          TEXT NOT NULL,
            PRIMARY KEY (service_id, grain_id, reminder_name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS reminders_by_hash ON reminders (service_id, grain_hash);
        """;

    private const string Columns = "grain_id, reminder_name, start_ticks, period_ticks, etag";

    private readonly string _serviceId;
    private readonly ILogger<SqliteReminderTable> _logger;
    private readonly SqliteDatabase _database;

    /// <summary>Creates the table accessor; the schema is created when the reminder service starts.</summary>
    public SqliteReminderTable(
        IOptions<SqliteReminderTableOptions> options, IOptions<ClusterOptions> clusterOptions, ILogger<SqliteReminderTable> logger)
    {
        _serviceId = clusterOptions.Value.ServiceId;
        _logger = logger;
        _database = new SqliteDatabase(options.Value, Schema);
    }

    /// <summary>The database file this table lives in.</summary>
    public string FilePath => _database.FilePath;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Run("open", _ => true, write: true, cancellationToken);
        LogStarted(FilePath, _serviceId);
    }

    /// <inheritdoc />
    public Task Init() => StartAsync(CancellationToken.None);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken = default) => _database.DisposeAsync().AsTask();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _database.DisposeAsync();

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        Run("read reminders of " + grainId, connection =>
        {
            using var command = Command(connection, $"SELECT {Columns} FROM reminders WHERE service_id = $service AND grain_id = $grain;");
            command.Parameters.AddWithValue("$grain", grainId.ToString());
            return new ReminderTableData(ReadEntries(command));
        }, write: false, cancellationToken);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) =>
        Run($"read reminders in ring range ({begin:X8}, {end:X8}]", connection =>
        {
            // The range (begin, end] wraps past uint.MaxValue when begin >= end; begin == end is the whole ring.
            var range = begin < end
                ? "grain_hash > $begin AND grain_hash <= $end"
                : "(grain_hash > $begin OR grain_hash <= $end)";
            using var command = Command(connection, $"SELECT {Columns} FROM reminders WHERE service_id = $service AND {range};");
            command.Parameters.AddWithValue("$begin", (long)begin);
            command.Parameters.AddWithValue("$end", (long)end);
            return new ReminderTableData(ReadEntries(command));
        }, write: false, cancellationToken);

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken) =>
        Run($"read reminder '{reminderName}' of {grainId}", connection =>
        {
            using var command = Command(connection,
                $"SELECT {Columns} FROM reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name;");
            command.Parameters.AddWithValue("$grain", grainId.ToString());
            command.Parameters.AddWithValue("$name", reminderName);
            return ReadEntries(command).FirstOrDefault();
        }, write: false, cancellationToken);

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        var etag = Guid.NewGuid().ToString("N");
        return Run($"save reminder '{entry.ReminderName}' of {entry.GrainId}", connection =>
        {
            using var command = Command(connection, """
                INSERT INTO reminders (service_id, grain_id, reminder_name, grain_hash, start_ticks, period_ticks, etag)
                VALUES ($service, $grain, $name, $hash, $start, $period, $etag)
                ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET
                    start_ticks = excluded.start_ticks, period_ticks = excluded.period_ticks, etag = excluded.etag;
                """);
            command.Parameters.AddWithValue("$grain", entry.GrainId.ToString());
            command.Parameters.AddWithValue("$name", entry.ReminderName);
            command.Parameters.AddWithValue("$hash", (long)entry.GrainId.GetUniformHashCode());
            command.Parameters.AddWithValue("$start", ToUtc(entry.StartAt).Ticks);
            command.Parameters.AddWithValue("$period", entry.Period.Ticks);
            command.Parameters.AddWithValue("$etag", etag);
            command.ExecuteNonQuery();
            return (string?)etag;
        }, write: true, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken) =>
        Run($"remove reminder '{reminderName}' of {grainId}", connection =>
        {
            using var command = Command(connection,
                "DELETE FROM reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name AND etag = $etag;");
            command.Parameters.AddWithValue("$grain", grainId.ToString());
            command.Parameters.AddWithValue("$name", reminderName);
            command.Parameters.AddWithValue("$etag", eTag);
            return command.ExecuteNonQuery() == 1;
        }, write: true, cancellationToken);

    /// <inheritdoc />
    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <inheritdoc />
    public Task TestOnlyClearTable(CancellationToken cancellationToken) =>
        Run("clear reminders", connection =>
        {
            using var command = Command(connection, "DELETE FROM reminders WHERE service_id = $service;");
            return command.ExecuteNonQuery();
        }, write: true, cancellationToken);

    private async Task<T> Run<T>(string operation, Func<SqliteConnection, T> work, bool write, CancellationToken cancellationToken)
    {
        try
        {
            return write
                ? await _database.WriteAsync(work, cancellationToken)
                : await _database.ReadAsync(work, cancellationToken);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or FormatException)
        {
            throw new SqliteStorageException($"Reminder table failed to {operation} in {FilePath}: {ex.Message}", ex);
        }
    }

    private SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", _serviceId);
        return command;
    }

    private static List<ReminderEntry> ReadEntries(SqliteCommand command)
    {
        var entries = new List<ReminderEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0)),
                ReminderName = reader.GetString(1),
                StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
                Period = TimeSpan.FromTicks(reader.GetInt64(3)),
                ETag = reader.GetString(4),
            });
        }

        return entries;
    }

    private static DateTime ToUtc(DateTime value) =>
        value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite reminder table ready at {File} for service {ServiceId}")]
    private partial void LogStarted(string file, string serviceId);
}
