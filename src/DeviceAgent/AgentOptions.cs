using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;

namespace FleetQuant.DeviceAgent;

/// <summary>Everything one device agent needs: identity, broker, trust anchor, local state and behaviour.</summary>
public sealed record AgentOptions
{
    public required LinkOptions Link { get; init; }

    /// <summary>The server's manifest-signing public key (PEM), installed at provisioning.</summary>
    public required string ServerPublicKeyPem { get; init; }

    public required string StateDirectory { get; init; }

    public ProfileOverrides Profile { get; init; } = new();

    public TimeSpan TelemetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between inferences on the sample stream; the stream is what makes telemetry real.</summary>
    public TimeSpan InferenceInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pace downloads to the profile's bandwidth (simulated devices on a fast loopback need this).</summary>
    public bool ThrottleToProfileBandwidth { get; init; }

    public string AgentVersion { get; init; } = typeof(AgentOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
