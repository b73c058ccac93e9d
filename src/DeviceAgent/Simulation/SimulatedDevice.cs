using FleetQuant.Protocol.Messages;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>
/// One device of the simulated fleet across reboots: its spec, credentials and state directory stay, the
/// <see cref="DeviceRuntime"/> is replaced when a power cut stopped it. Counters cover every runtime it ran.
/// </summary>
public sealed class SimulatedDevice(SimulatedDeviceSpec spec, ProvisionedDevice credentials, string stateDirectory) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<DeviceRuntime> _retired = [];
    private DeviceRuntime? _runtime;

    public SimulatedDeviceSpec Spec { get; } = spec;

    public ProvisionedDevice Credentials { get; } = credentials;

    public string StateDirectory { get; } = stateDirectory;

    /// <summary>The runtime the device runs now.</summary>
    public DeviceRuntime Runtime => _runtime ?? throw new InvalidOperationException($"{Spec.DeviceId} has not booted");

    public int PowerCuts => AllRuntimes().Count(r => r.PoweredOff);

    public long BytesDownloaded => AllRuntimes().Sum(r => r.BytesDownloaded);

    public long ChunkBytesReceived => AllRuntimes().Sum(r => r.ChunkBytesReceived);

    public int CorruptChunks => AllRuntimes().Sum(r => r.Fetches.Sum(f => f.CorruptChunks));

    public IEnumerable<UpdateReport> AllReports() => AllRuntimes().SelectMany(r => r.Reports);

    public async Task BootAsync(DeviceRuntime runtime, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _runtime = runtime;
        }
        await runtime.StartAsync(cancellationToken);
    }

    /// <summary>Stops the current runtime and boots <paramref name="next"/> on the same state directory.</summary>
    public async Task RebootAsync(DeviceRuntime next, CancellationToken cancellationToken)
    {
        var previous = Runtime;
        await previous.DisposeAsync();
        lock (_gate)
        {
            _retired.Add(previous);
        }
        await BootAsync(next, cancellationToken);
    }

    private List<DeviceRuntime> AllRuntimes()
    {
        lock (_gate)
        {
            return _runtime is null ? [.. _retired] : [.. _retired, _runtime];
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            await _runtime.DisposeAsync();
        }
    }
}
