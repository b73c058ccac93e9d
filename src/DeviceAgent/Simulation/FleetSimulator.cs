using FleetQuant.Compression.Evaluation;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>
/// N virtual devices in one process, each a full <see cref="DeviceRuntime"/> with its own MQTT connection, credentials
/// (provisioned through the REST API), state directory and download throttle, all sharing one telemetry sample set.
/// A device whose injected power cut stopped it is booted again on the same state directory, without the fault.
/// </summary>
public sealed class FleetSimulator : IAsyncDisposable
{
    private readonly SimulatorOptions _options;
    private readonly EvalSet _samples;
    private readonly ILoggerFactory _logging;
    private readonly string? _stateRootOption;
    private SimulatorStateRoot? _ownStateRoot;
    private readonly List<SimulatedDevice> _devices = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _watchdog;

    public FleetSimulator(SimulatorOptions options, EvalSet samples, ILoggerFactory logging)
    {
        _options = options;
        _samples = samples;
        _logging = logging;
        _stateRootOption = options.StateRoot;
    }

    public IReadOnlyList<SimulatedDevice> Devices => _devices;

    /// <summary>Provisions every device, connects it, and starts watching for power cuts. Progress goes to <paramref name="progress"/>.</summary>
    public async Task StartAsync(Action<int, int>? progress, CancellationToken cancellationToken)
    {
        var specs = FleetComposition.Create(_options.ProfilesPath, _options.Devices, _options.IdPrefix, _options.Faults, _options.FaultShare);
        string stateRoot;
        if (_stateRootOption is { } given)
        {
            Directory.CreateDirectory(given);
            stateRoot = given;
        }
        else
        {
            // A simulator killed before it could clean up left its devices' state in RAM: reclaim it before taking more.
            SimulatorStateRoot.RemoveStale(SimulatorStateRoot.DefaultParent, _logging.CreateLogger<FleetSimulator>());
            _ownStateRoot = SimulatorStateRoot.Create(SimulatorStateRoot.DefaultParent);
            stateRoot = _ownStateRoot.Path;
        }
        using var provisioner = new DeviceProvisioner(_options.Server, _options.Token);
        var started = 0;
        var devices = new SimulatedDevice?[specs.Count];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, specs.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.StartParallelism), CancellationToken = cancellationToken },
                async (index, ct) =>
                {
                    var spec = specs[index];
                    var credentials = await provisioner.ProvisionAsync(spec.DeviceId, spec.Profile, ct);
                    var device = new SimulatedDevice(spec, credentials, Path.Combine(stateRoot, spec.DeviceId));
                    devices[index] = device;
                    await device.BootAsync(RuntimeFor(device, spec.Faults), ct);
                    progress?.Invoke(Interlocked.Increment(ref started), specs.Count);
                });
        }
        finally
        {
            // In mix order, and including devices started before a failure, so DisposeAsync stops them all.
            _devices.AddRange(devices.OfType<SimulatedDevice>());
        }
        _watchdog = Task.Run(() => RebootPoweredOffAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>A snapshot of the fleet: per class, what each device runs; bytes; failures.</summary>
    public FleetSummary Summarize()
    {
        var classes = _devices
            .GroupBy(d => d.Spec.HardwareClass, StringComparer.Ordinal)
            .Select(g => new ClassSummary(g.Key, g.Count(), g
                .GroupBy(d => d.Runtime.State.Current is { } m ? $"{m.ModelId} v{m.ModelVersion} {m.RecipeId}" : "none", StringComparer.Ordinal)
                .ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal)))
            .ToList();
        var reports = _devices.SelectMany(d => d.AllReports().Select(r => (d.Spec.DeviceId, Report: r))).ToList();
        return new FleetSummary
        {
            Devices = _devices.Count,
            Connected = _devices.Count(d => d.Runtime.IsConnected),
            Classes = classes,
            BytesDownloaded = _devices.Sum(d => d.BytesDownloaded),
            ChunkBytesReceived = _devices.Sum(d => d.ChunkBytesReceived),
            UpdatesSucceeded = reports.Count(r => r.Report.Stage == UpdateStage.Succeeded),
            UpdatesFailed = reports.Count(r => r.Report.Stage == UpdateStage.Failed),
            ManifestsRejected = reports.Count(r => r.Report.Stage == UpdateStage.Rejected),
            CorruptChunksRefetched = _devices.Sum(d => d.CorruptChunks),
            PowerCuts = _devices.Sum(d => d.PowerCuts),
            Problems = reports
                .Where(r => r.Report.Stage is UpdateStage.Failed or UpdateStage.Rejected)
                .Take(FleetSummary.MaxListedProblems)
                .Select(r => new DeviceProblem(r.DeviceId, r.Report.Stage.ToString(), r.Report.Release, r.Report.Reason))
                .ToList(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_watchdog is not null)
        {
            await _watchdog;
        }
        // Disconnect in parallel batches: a thousand sequential clean disconnects take long.
        await Parallel.ForEachAsync(_devices, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (device, _) => await device.DisposeAsync());
        _stop.Dispose();
        if (_ownStateRoot is { } own)
        {
            try
            {
                Directory.Delete(own.Path, recursive: true);
            }
            catch (IOException)
            {
                // A leftover directory is removed by the next simulator to start, once this process is gone.
            }
            own.Dispose();
        }
    }

    private DeviceRuntime RuntimeFor(SimulatedDevice device, FaultPlan faults) => new(new AgentOptions
    {
        Link = new LinkOptions
        {
            Host = device.Credentials.MqttHost,
            Port = device.Credentials.MqttPort,
            DeviceId = device.Spec.DeviceId,
            Secret = device.Credentials.Secret,
            HealthCheckInterval = _options.HealthCheckInterval,
        },
        ServerPublicKeyPem = device.Credentials.ServerPublicKeyPem,
        StateDirectory = device.StateDirectory,
        Profile = device.Spec.Profile,
        InferenceInterval = _options.InferenceInterval,
        TelemetryInterval = _options.TelemetryInterval,
        ThrottleToProfileBandwidth = _options.Throttle,
    }, _samples, _logging.CreateLogger("sim." + device.Spec.HardwareClass), faults: new SimulatedFaults(faults));

    private async Task RebootPoweredOffAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var device in _devices.Where(d => d.Runtime.PoweredOff))
                {
                    // The power came back: the same device boots from the same disk, and the cut does not repeat.
                    await device.RebootAsync(RuntimeFor(device, FaultPlan.None), cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
