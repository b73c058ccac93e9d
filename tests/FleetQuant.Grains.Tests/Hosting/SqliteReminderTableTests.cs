using FleetQuant.Grains.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace FleetQuant.Grains.Tests.Hosting;

public sealed class SqliteReminderTableTests : IDisposable
{
    private static readonly DateTime Start = new(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private readonly TemporaryDataDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Upsert_ThenReadRow_ReturnsTheReminder()
    {
        await using var table = await Open();
        var grain = GrainId.Create("rollout", "r-1");

        var etag = await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(1)));
        var read = await table.ReadRow(grain, "advance");

        Assert.NotNull(read);
        Assert.Equal(grain, read.GrainId);
        Assert.Equal("advance", read.ReminderName);
        Assert.Equal(Start, read.StartAt);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
        Assert.Equal(TimeSpan.FromMinutes(1), read.Period);
        Assert.Equal(etag, read.ETag);
    }

    [Fact]
    public async Task ReadRow_OfUnknownReminder_ReturnsNull()
    {
        await using var table = await Open();

        Assert.Null(await table.ReadRow(GrainId.Create("rollout", "none"), "advance"));
    }

    [Fact]
    public async Task Upsert_OfExistingReminder_ReplacesItWithANewETag()
    {
        await using var table = await Open();
        var grain = GrainId.Create("rollout", "r-1");
        var first = await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(1)));

        var second = await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(5)));
        var rows = await table.ReadRows(grain);

        var only = Assert.Single(rows.Reminders);
        Assert.NotEqual(first, second);
        Assert.Equal(second, only.ETag);
        Assert.Equal(TimeSpan.FromMinutes(5), only.Period);
    }

    [Fact]
    public async Task RemoveRow_RequiresTheCurrentETag()
    {
        await using var table = await Open();
        var grain = GrainId.Create("rollout", "r-1");
        var old = await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(1)));
        var current = await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(1)));

        Assert.False(await table.RemoveRow(grain, "advance", old!));
        Assert.True(await table.RemoveRow(grain, "advance", current!));
        Assert.Null(await table.ReadRow(grain, "advance"));
    }

    [Fact]
    public async Task ReadRows_ForGrain_ReturnsOnlyThatGrainsReminders()
    {
        await using var table = await Open();
        var grain = GrainId.Create("rollout", "r-1");
        await table.UpsertRow(Entry(grain, "a", TimeSpan.FromMinutes(1)));
        await table.UpsertRow(Entry(grain, "b", TimeSpan.FromMinutes(1)));
        await table.UpsertRow(Entry(GrainId.Create("rollout", "r-2"), "a", TimeSpan.FromMinutes(1)));

        var rows = await table.ReadRows(grain);

        Assert.Equal(["a", "b"], rows.Reminders.Select(r => r.ReminderName).Order());
    }

    [Fact]
    public async Task ReadRows_ByRingRange_CoversHalfOpenRanges_WrapAround_AndTheWholeRing()
    {
        await using var table = await Open();
        var grains = Enumerable.Range(0, 64).Select(i => GrainId.Create("rollout", $"r-{i}")).ToList();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(1)));
        }

        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToList();
        var low = hashes[10];
        var high = hashes[40];

        var inside = await table.ReadRows(low, high);
        var wrapped = await table.ReadRows(high, low);
        var whole = await table.ReadRows(low, low);

        // (low, high] holds hashes 11..40; (high, low] wraps and holds the rest.
        Assert.Equal(hashes.Skip(11).Take(30), inside.Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order());
        Assert.Equal(64 - 30, wrapped.Reminders.Count);
        Assert.Equal(64, whole.Reminders.Count);
    }

    [Fact]
    public async Task Reminders_SurviveReopeningTheFile()
    {
        var grain = GrainId.Create("rollout", "r-1");
        await using (var table = await Open())
        {
            await table.UpsertRow(Entry(grain, "advance", TimeSpan.FromSeconds(90)));
        }

        SqliteConnection.ClearAllPools();
        await using var reopened = await Open();
        var read = await reopened.ReadRow(grain, "advance");

        Assert.NotNull(read);
        Assert.Equal(TimeSpan.FromSeconds(90), read.Period);
    }

    [Fact]
    public async Task Reminders_OfAnotherService_AreInvisible_AndSurviveItsClear()
    {
        var grain = GrainId.Create("rollout", "r-1");
        await using var mine = await Open("service-a");
        await using var theirs = await Open("service-b");
        await theirs.UpsertRow(Entry(grain, "advance", TimeSpan.FromMinutes(1)));

        await mine.TestOnlyClearTable();

        Assert.Null(await mine.ReadRow(grain, "advance"));
        Assert.NotNull(await theirs.ReadRow(grain, "advance"));
        Assert.Empty((await mine.ReadRows(0u, 0u)).Reminders);
    }

    private async Task<SqliteReminderTable> Open(string serviceId = "fleetquant-test")
    {
        var table = new SqliteReminderTable(
            Options.Create(new SqliteReminderTableOptions { DataDirectory = _directory.Path }),
            Options.Create(new ClusterOptions { ServiceId = serviceId, ClusterId = "test" }),
            NullLogger<SqliteReminderTable>.Instance);
        await table.StartAsync();
        return table;
    }

    private static ReminderEntry Entry(GrainId grain, string name, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = Start, Period = period };
}
