using FleetQuant.Grains.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Storage;

namespace FleetQuant.Grains.Tests.Hosting;

public sealed class SqliteGrainStorageTests : IDisposable
{
    private readonly TemporaryDataDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Write_ThenRead_ReturnsTheStateAndETag()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d-1");
        var written = new TestGrainState<CounterState> { State = { Count = 7, Names = ["a", "b"] } };

        await storage.WriteStateAsync("profile", grain, written);
        var read = new TestGrainState<CounterState>();
        await storage.ReadStateAsync("profile", grain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(7, read.State.Count);
        Assert.Equal(["a", "b"], read.State.Names);
    }

    [Fact]
    public async Task Read_OfNeverWrittenState_FindsNoRecord()
    {
        await using var storage = Open();
        var read = new TestGrainState<CounterState>();

        await storage.ReadStateAsync("profile", GrainId.Create("device", "missing"), read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(0, read.State.Count);
    }

    [Fact]
    public async Task Write_ChangesTheETagEveryTime()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d-1");
        var state = new TestGrainState<CounterState>();

        await storage.WriteStateAsync("profile", grain, state);
        var first = state.ETag;
        state.State.Count++;
        await storage.WriteStateAsync("profile", grain, state);

        Assert.NotNull(first);
        Assert.NotEqual(first, state.ETag);
    }

    [Fact]
    public async Task Clear_RemovesTheState_AndAllowsWritingAgain()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d-1");
        var state = new TestGrainState<CounterState> { State = { Count = 3 } };
        await storage.WriteStateAsync("profile", grain, state);

        await storage.ClearStateAsync("profile", grain, state);
        var afterClear = new TestGrainState<CounterState>();
        await storage.ReadStateAsync("profile", grain, afterClear);
        await storage.WriteStateAsync("profile", grain, state);

        Assert.False(afterClear.RecordExists);
        Assert.Null(afterClear.ETag);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public async Task Write_WithStaleETag_ThrowsInconsistentState_AndKeepsTheNewerState()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d-1");
        var first = new TestGrainState<CounterState>();
        await storage.WriteStateAsync("profile", grain, first);
        var stale = new TestGrainState<CounterState> { ETag = first.ETag, RecordExists = true, State = { Count = 99 } };
        first.State.Count = 1;
        await storage.WriteStateAsync("profile", grain, first);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("profile", grain, stale));
        var read = new TestGrainState<CounterState>();
        await storage.ReadStateAsync("profile", grain, read);

        Assert.Equal(first.ETag, error.StoredEtag);
        Assert.Equal(1, read.State.Count);
    }

    [Fact]
    public async Task Write_WithoutETag_WhenAnotherWriterCreatedTheRecord_Throws()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d-1");
        await storage.WriteStateAsync("profile", grain, new TestGrainState<CounterState>());

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync("profile", grain, new TestGrainState<CounterState>()));
    }

    [Fact]
    public async Task Clear_WithStaleETag_Throws_AndKeepsTheState()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d-1");
        var state = new TestGrainState<CounterState>();
        await storage.WriteStateAsync("profile", grain, state);
        var stale = new TestGrainState<CounterState> { ETag = state.ETag };
        await storage.WriteStateAsync("profile", grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("profile", grain, stale));
        var read = new TestGrainState<CounterState>();
        await storage.ReadStateAsync("profile", grain, read);

        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task Records_AreKeyedByGrainType_GrainId_AndStateName()
    {
        await using var storage = Open();
        await storage.WriteStateAsync("a", GrainId.Create("device", "x"), new TestGrainState<CounterState> { State = { Count = 1 } });
        await storage.WriteStateAsync("b", GrainId.Create("device", "x"), new TestGrainState<CounterState> { State = { Count = 2 } });
        await storage.WriteStateAsync("a", GrainId.Create("model", "x"), new TestGrainState<CounterState> { State = { Count = 3 } });
        await storage.WriteStateAsync("a", GrainId.Create("device", "y"), new TestGrainState<CounterState> { State = { Count = 4 } });

        var counts = new List<int>();
        foreach (var (state, type, key) in new[] { ("a", "device", "x"), ("b", "device", "x"), ("a", "model", "x"), ("a", "device", "y") })
        {
            var read = new TestGrainState<CounterState>();
            await storage.ReadStateAsync(state, GrainId.Create(type, key), read);
            counts.Add(read.State.Count);
        }

        Assert.Equal([1, 2, 3, 4], counts);
    }

    [Fact]
    public async Task State_SurvivesReopeningTheFile()
    {
        var grain = GrainId.Create("rollout", "r-1");
        string etag;
        await using (var storage = Open())
        {
            var state = new TestGrainState<CounterState> { State = { Count = 42 } };
            await storage.WriteStateAsync("rollout", grain, state);
            etag = state.ETag!;
        }

        SqliteConnection.ClearAllPools();
        await using var reopened = Open();
        var read = new TestGrainState<CounterState>();
        await reopened.ReadStateAsync("rollout", grain, read);

        Assert.Equal(42, read.State.Count);
        Assert.Equal(etag, read.ETag);
    }

    [Fact]
    public async Task ConcurrentWriters_OnDifferentGrains_AllPersist()
    {
        await using var storage = Open();
        const int Grains = 200;

        await Task.WhenAll(Enumerable.Range(0, Grains).Select(async i =>
        {
            var state = new TestGrainState<CounterState> { State = { Count = i } };
            var grain = GrainId.Create("device", $"d-{i}");
            await storage.WriteStateAsync("profile", grain, state);
            state.State.Count += 1000;
            await storage.WriteStateAsync("profile", grain, state);
        }));

        var reads = await Task.WhenAll(Enumerable.Range(0, Grains).Select(async i =>
        {
            var read = new TestGrainState<CounterState>();
            await storage.ReadStateAsync("profile", GrainId.Create("device", $"d-{i}"), read);
            return read.State.Count;
        }));
        Assert.Equal(Enumerable.Range(1000, Grains), reads);
    }

    [Fact]
    public async Task ConcurrentWriters_WithTheSameETag_ExactlyOneWins()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "contended");
        var original = new TestGrainState<CounterState>();
        await storage.WriteStateAsync("profile", grain, original);

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 16).Select(async i =>
        {
            var state = new TestGrainState<CounterState> { ETag = original.ETag, RecordExists = true, State = { Count = i } };
            try
            {
                await storage.WriteStateAsync("profile", grain, state);
                return i;
            }
            catch (InconsistentStateException)
            {
                return 0;
            }
        }));
        var read = new TestGrainState<CounterState>();
        await storage.ReadStateAsync("profile", grain, read);

        var winner = Assert.Single(outcomes, o => o != 0);
        Assert.Equal(winner, read.State.Count);
    }

    [Fact]
    public async Task TwoProvidersOnOneFile_SeeEachOthersWrites_AndConflicts()
    {
        await using var first = Open();
        await using var second = Open();
        var grain = GrainId.Create("device", "shared");
        var state = new TestGrainState<CounterState> { State = { Count = 5 } };

        await first.WriteStateAsync("profile", grain, state);
        var read = new TestGrainState<CounterState>();
        await second.ReadStateAsync("profile", grain, read);
        read.State.Count = 6;
        await second.WriteStateAsync("profile", grain, read);

        Assert.Equal(5, state.State.Count);
        await Assert.ThrowsAsync<InconsistentStateException>(() => first.WriteStateAsync("profile", grain, state));
    }

    [Fact]
    public async Task Database_UsesWriteAheadLogging()
    {
        await using var storage = Open();
        await storage.WriteStateAsync("profile", GrainId.Create("device", "d"), new TestGrainState<CounterState>());

        await using var connection = new SqliteConnection($"Data Source={storage.FilePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";

        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CorruptDatabaseFile_FailsWithAMessageNamingTheFile()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, SqliteDatabaseOptions.DefaultFileName), new string('x', 4096));
        await using var storage = Open();

        var error = await Assert.ThrowsAsync<SqliteStorageException>(
            () => storage.WriteStateAsync("profile", GrainId.Create("device", "d"), new TestGrainState<CounterState>()));

        Assert.Contains(SqliteDatabaseOptions.DefaultFileName, error.Message);
    }

    [Fact]
    public async Task UnreadablePayload_FailsWithAMessageNamingTheState()
    {
        await using var storage = Open();
        var grain = GrainId.Create("device", "d");
        await storage.WriteStateAsync("profile", grain, new TestGrainState<CounterState>());
        await using (var connection = new SqliteConnection($"Data Source={storage.FilePath}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE grain_state SET payload = x'7b7b7b';";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<SqliteStorageException>(
            () => storage.ReadStateAsync("profile", grain, new TestGrainState<CounterState>()));

        Assert.Contains("'profile'", error.Message);
    }

    [Fact]
    public void Options_WithoutDataDirectoryOrConnectionString_AreRejected()
    {
        var options = new SqliteGrainStorageOptions { GrainStorageSerializer = new JsonStorageSerializer() };

        var error = Assert.Throws<SqliteStorageException>(
            () => new SqliteGrainStorage("test", options, NullLogger<SqliteGrainStorage>.Instance));

        Assert.Contains("DataDirectory", error.Message);
    }

    private SqliteGrainStorage Open() => new(
        "test",
        new SqliteGrainStorageOptions { DataDirectory = _directory.Path, GrainStorageSerializer = new JsonStorageSerializer() },
        NullLogger<SqliteGrainStorage>.Instance);
}
