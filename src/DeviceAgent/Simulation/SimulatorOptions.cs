namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>What the fleet simulator runs: how many devices of which mix, against which server, with which faults.</summary>
public sealed record SimulatorOptions
{
    public required int Devices { get; init; }

    /// <summary>A fleet mix file (samples/profiles/fleet-mix.json): weighted hardware-class profiles.</summary>
    public required string ProfilesPath { get; init; }

    /// <summary>The Gateway's HTTP base address; devices are provisioned through its REST API.</summary>
    public required Uri Server { get; init; }

    /// <summary>An operator bearer token for provisioning.</summary>
    public required string Token { get; init; }

    /// <summary>Where device state directories go (one per device); null keeps them in RAM (tmpfs) and removes them at the end.</summary>
    public string? StateRoot { get; init; }

    /// <summary>Device ids are <c>{prefix}-{class}-{n}</c>; a different prefix gives a separate fleet on the same server.</summary>
    public string IdPrefix { get; init; } = "sim";

    /// <summary>Faults injected into a share of every class (<see cref="FaultShare"/>); the rest run clean.</summary>
    public FaultPlan Faults { get; init; } = FaultPlan.None;

    public double FaultShare { get; init; } = 0.1;

    /// <summary>Seconds, not milliseconds: a thousand devices share two cores.</summary>
    public TimeSpan InferenceInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan TelemetryInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often each link pings the broker; long enough that a thousand links do not flood it.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pace each device's downloads to its profile's bandwidth (token bucket).</summary>
    public bool Throttle { get; init; } = true;

    /// <summary>Provisioning calls and MQTT connects in flight at once while the fleet starts.</summary>
    public int StartParallelism { get; init; } = 16;
}
