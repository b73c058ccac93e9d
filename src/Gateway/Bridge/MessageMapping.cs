using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Manifests;
using FleetQuant.Grains.Planning;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Gateway.Bridge;

/// <summary>Maps wire messages (Protocol) to grain records (Abstractions) and back, in one place.</summary>
public static class MessageMapping
{
    public static DeviceHello ToGrain(HelloMessage hello) =>
        new(ToGrain(hello.Profile, hello.AgentVersion), hello.CurrentArtifactSha256);

    public static DeviceProfileInfo ToGrain(DeviceProfile p, string agentVersion) =>
        new(p.DeviceId, p.HardwareClass, p.Arch, p.CpuCores, [.. p.CpuFeatures], p.RamBytes, p.ModelMemoryBudgetBytes, p.StorageBytes,
            p.BandwidthBitsPerSecond, p.DataCapBytesPerMonth, p.OrtVersion, string.IsNullOrEmpty(p.AgentVersion) ? agentVersion : p.AgentVersion,
            new Dictionary<string, string>(p.Tags, StringComparer.Ordinal));

    /// <summary>
    /// Passes the device's latency samples through unchanged, so the grain's window percentiles are computed from real
    /// latencies. Throws <see cref="ProtocolException"/> for a message outside the protocol's limits.
    /// </summary>
    public static TelemetryReport ToGrain(TelemetryMessage t)
    {
        t.Validate();
        return new TelemetryReport([.. t.LatenciesMs], t.Errors, t.MemoryBytes, t.MeanConfidence, t.DownloadBitsPerSecond, t.Inferences);
    }

    public static UpdateProgress ToGrain(UpdateReport report)
    {
        var status = report.Stage switch
        {
            UpdateStage.Accepted or UpdateStage.Downloading or UpdateStage.Verifying => UpdateStatus.Downloading,
            UpdateStage.Applying => UpdateStatus.Applying,
            UpdateStage.Succeeded => UpdateStatus.Succeeded,
            _ => UpdateStatus.Failed,
        };
        var error = status == UpdateStatus.Failed ? $"{report.Stage}: {report.Reason ?? "no reason given"}" : null;
        return new UpdateProgress(report.Release, status, report.BytesReceived, error);
    }

    public static SignedManifest ToWire(SignedDesiredState signed) =>
        new()
        {
            Payload = signed.Payload,
            Signature = signed.Signature,
            KeyId = signed.KeyId,
            Rotations = signed.Rotations is { } chain ? ProtocolJson.Deserialize<SignedKeyRotation[]>(System.Text.Encoding.UTF8.GetBytes(chain)) : null,
        };
}
