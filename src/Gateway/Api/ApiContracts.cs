using System.Text.Json.Serialization;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Gateway.Api;

/// <summary>Registers a device; the hardware class and tags are placeholders until its first hello reports the real profile.</summary>
public sealed record ProvisionDeviceRequest
{
    public required string DeviceId { get; init; }

    public string? HardwareClass { get; init; }

    public Dictionary<string, string>? Tags { get; init; }
}

/// <summary>What a device needs to connect: shown once (the secret is stored only hashed).</summary>
public sealed record ProvisionDeviceResponse(string DeviceId, string Secret, string MqttHost, int MqttPort, string ServerPublicKeyPem);

/// <summary>A page of devices; pass <see cref="Next"/> as <c>after</c> to continue.</summary>
public sealed record DeviceListResponse(IReadOnlyList<DeviceSummary> Devices, int Total, string? Next);

/// <summary>The models an operator uploaded, by id.</summary>
public sealed record ModelListResponse(IReadOnlyList<string> ModelIds);

/// <summary>A rollout as an operator asks for it; unset fields take the defaults shown.</summary>
public sealed record CreateRolloutRequest
{
    /// <summary>Optional id; generated when missing.</summary>
    public string? RolloutId { get; init; }

    public required string ModelId { get; init; }

    /// <summary>The model version: a positive integer, sent as a number or a numeric string.</summary>
    [JsonConverter(typeof(PositiveIntegerTextConverter))]
    public required string Version { get; init; }

    public Dictionary<string, string> Tags { get; init; } = [];

    public List<string> HardwareClasses { get; init; } = [];

    public List<string> DeviceIds { get; init; } = [];

    /// <summary>Waves as device counts or percentages; one wave of 100% when empty.</summary>
    public List<WaveSpec> Waves { get; init; } = [];

    public double SuccessThreshold { get; init; } = 0.9;

    public double FailureThreshold { get; init; } = 0.2;

    public FailureAction OnFailure { get; init; } = FailureAction.Pause;

    public HealthGate? Health { get; init; }

    public long? BandwidthBytesPerMinute { get; init; }

    public PlanPolicyInfo? Policy { get; init; }

    public RolloutSpec ToSpec() => new(ModelId, Version, new TargetSelector(Tags, HardwareClasses, DeviceIds),
        Waves.Count > 0 ? Waves : [WaveSpec.PercentOf(100)], SuccessThreshold, FailureThreshold, OnFailure, Health, BandwidthBytesPerMinute,
        Policy ?? new PlanPolicyInfo());
}

/// <summary>Why an operator paused, aborted or rolled back a rollout.</summary>
public sealed record RolloutActionRequest
{
    public string? Reason { get; init; }
}

/// <summary>Rollout ids, newest registrations last.</summary>
public sealed record RolloutListResponse(IReadOnlyList<RolloutView> Rollouts);
