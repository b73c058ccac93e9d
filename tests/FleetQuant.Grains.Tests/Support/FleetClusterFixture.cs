using FleetQuant.Grains.Artifacts;
using FleetQuant.Grains.Compression;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace FleetQuant.Grains.Tests.Support;

/// <summary>
/// A one-silo in-process cluster with memory storage and reminders bound to <see cref="StorageNames"/>, a manual
/// clock, a temp artifact store and a short ladder. Shared by the tests of a class; tests use distinct ids.
/// </summary>
public class FleetClusterFixture : IAsyncLifetime
{
    public static readonly string[] LadderRecipes = ["fp32", "q8cs", "q4b32a", "q2b32a"];

    private readonly Dictionary<string, Task> _models = new(StringComparer.Ordinal);

    public ManualTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "fq-grains-tests-" + Guid.NewGuid().ToString("N"));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public CompressionService Compression => Cluster.Silos[0].ServiceProvider.GetRequiredService<CompressionService>();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            foreach (var name in StorageNames.All)
            {
                silo.AddMemoryGrainStorage(name);
            }
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton(new FleetClock(Time));
            silo.Services.AddSingleton<IArtifactStore>(new FileArtifactStore(DataDirectory));
            silo.AddFleetQuantGrains();
            silo.Services.Configure<CompressionOptions>(o =>
            {
                o.Parallelism = 2;
                o.LadderRecipes = [.. LadderRecipes];
                o.LadderMixedPrecision = false;
            });
            // Tests drive rollouts with Tick() after moving the manual clock; the real-time timer stays out of the way.
            silo.Services.Configure<RolloutOptions>(o => o.TickPeriod = TimeSpan.FromHours(1));
            ConfigureSilo(silo);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <summary>Uploads the tiny MLP as (model, version) once and waits until its ladder is ready.</summary>
    public Task<ModelVersionView> ReadyModelAsync(string modelId, string version = "v1", int seed = 1, int retrain = 0)
    {
        lock (_models)
        {
            var key = $"{modelId}/{version}";
            if (!_models.TryGetValue(key, out var task))
            {
                task = UploadAndWaitAsync(modelId, version, seed, retrain);
                _models[key] = task;
            }
            return (Task<ModelVersionView>)task;
        }
    }

    public IDeviceGrain Device(string id) => Client.GetGrain<IDeviceGrain>(id);

    /// <summary>
    /// Plays the Gateway's chunk server for <paramref name="desired"/>: records the transfer object (the delta when there is
    /// one) as served in full, as the bridge does chunk by chunk, so a success report that follows is verified.
    /// </summary>
    public Task DeliverAsync(string deviceId, DesiredState desired) =>
        Device(deviceId).RecordChunkServed(desired.Delta?.DeltaHash ?? desired.ArtifactHash, 0, desired.TransferBytes);

    /// <summary>Lets a derived fixture add to the silo (rollout options, call filters); runs after the defaults.</summary>
    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    public async Task<IDeviceGrain> ProvisionAsync(string id, string hardwareClass = "pi-4", long bandwidthBitsPerSecond = 50_000_000,
        IReadOnlyDictionary<string, string>? tags = null, string secret = "correct-horse-battery-staple")
    {
        var device = Device(id);
        await device.Provision(new ProvisionRequest(Profile(id, hardwareClass, bandwidthBitsPerSecond, tags), secret));
        return device;
    }

    public static DeviceProfileInfo Profile(string id, string hardwareClass = "pi-4", long bandwidthBitsPerSecond = 50_000_000,
        IReadOnlyDictionary<string, string>? tags = null, long memoryBudget = 1L << 30) =>
        new(id, hardwareClass, "arm64", 4, ["neon", "dotprod"], 4L << 30, memoryBudget, 16L << 30, bandwidthBitsPerSecond, null,
            "1.31.1", "1.0.0", tags ?? new Dictionary<string, string>());

    private async Task<ModelVersionView> UploadAndWaitAsync(string modelId, string version, int seed, int retrain)
    {
        var model = Client.GetGrain<IModelGrain>(modelId);
        await model.AddVersion(new ModelVersionUpload(version, TestModels.TinyMlp(seed, retrain), [new DataFile("eval.npy", TestModels.TinyEvalSet(48, seed))]));
        return (await Eventually.Until(() => model.GetVersion(version), v => v!.Status != ModelStatus.Analysing,
            $"ladder of {modelId} {version}", TimeSpan.FromMinutes(3)))!;
    }
}
