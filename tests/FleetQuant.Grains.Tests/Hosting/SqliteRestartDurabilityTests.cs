using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>Two clusters, one after the other, on one SQLite file: the second sees the first one's state and reminders.</summary>
public sealed class SqliteRestartDurabilityTests : IDisposable
{
    private static readonly TimeSpan TickPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly TemporaryDataDirectory _directory = new();
    private readonly string _serviceId = "restart-" + Guid.NewGuid().ToString("N");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task StateAndReminders_SurviveAFullClusterRestart_AndTheReminderResumesByItself()
    {
        var ticker = "ticker-" + Guid.NewGuid().ToString("N");
        int ticksBeforeStop;
        await using (var first = await StartCluster())
        {
            foreach (var i in Enumerable.Range(0, 20))
            {
                await first.Client.GetGrain<IDurabilityProbeGrain>($"device-{i}").Set(i * 10);
            }

            await first.Client.GetGrain<IDurabilityProbeGrain>(ticker).StartTicking(TickPeriod);
            await ProbeTicks.WaitAsync(ticker, 1, Deadline);
            await first.StopAllSilosAsync();
            ticksBeforeStop = ProbeTicks.Latest(ticker);
        }

        SqliteConnection.ClearAllPools();
        await using var second = await StartCluster();

        // Nothing calls the ticker: only the reminder, loaded from SQLite, can activate it and add ticks.
        await ProbeTicks.WaitAsync(ticker, ticksBeforeStop + 1, Deadline);
        var values = new List<int>();
        foreach (var i in Enumerable.Range(0, 20))
        {
            values.Add((await second.Client.GetGrain<IDurabilityProbeGrain>($"device-{i}").Get()).Value);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 10), values);
        Assert.True((await second.Client.GetGrain<IDurabilityProbeGrain>(ticker).Get()).Ticks > ticksBeforeStop);
    }

    private async Task<InProcessTestCluster> StartCluster()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = _serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            foreach (var name in StorageNames.All)
            {
                silo.AddSqliteGrainStorage(name, options => options.DataDirectory = _directory.Path);
            }

            silo.UseSqliteReminderService(options => options.DataDirectory = _directory.Path);
            silo.Services.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TickPeriod);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
