using FleetQuant.Protocol.Transfer;

namespace FleetQuant.DeviceAgent.Updates;

/// <summary>The points of an update at which <see cref="UpdateApplier"/> calls <see cref="IUpdateFaultHook.AtCheckpoint"/>, in order.</summary>
public enum UpdateCheckpoint
{
    /// <summary>The manifest verified and was accepted; nothing was fetched yet.</summary>
    Accepted,

    /// <summary>The artifact was obtained (patched or fetched whole) and matches the manifest.</summary>
    Downloaded,

    /// <summary>The artifact decoded, loaded in ONNX Runtime and passed the smoke test.</summary>
    Verified,

    /// <summary>The artifact and model are on disk, but <c>state.json</c> still points at the old model.</summary>
    Staged,

    /// <summary><c>state.json</c> points at the new model; the running session is not swapped yet.</summary>
    Activated,
}

/// <summary>
/// Where fault injection reaches into a device: the checkpoints of an update and every chunk it receives. Production
/// runs <see cref="NoUpdateFaults"/>; the simulator's faults live in <c>FleetQuant.DeviceAgent.Simulation</c>.
/// </summary>
public interface IUpdateFaultHook
{
    /// <summary>
    /// Called as an update passes <paramref name="checkpoint"/>. An exception thrown here leaves the applier at once,
    /// without clean-up or report, as losing power there would.
    /// </summary>
    void AtCheckpoint(UpdateCheckpoint checkpoint);

    /// <summary>Called for every chunk frame before the download sees it; returns the frame to deliver, <paramref name="dropLink"/> drops the MQTT link.</summary>
    ChunkFrame OnChunk(ChunkFrame frame, Action dropLink);

    /// <summary>Whether <paramref name="exception"/>, escaped from an update, means the hook cut the power: the runtime then stops dead.</summary>
    bool CutThePower(Exception exception);
}

/// <summary>No faults: what every real device runs.</summary>
public sealed class NoUpdateFaults : IUpdateFaultHook
{
    public static readonly NoUpdateFaults Instance = new();

    private NoUpdateFaults()
    {
    }

    public void AtCheckpoint(UpdateCheckpoint checkpoint)
    {
    }

    public ChunkFrame OnChunk(ChunkFrame frame, Action dropLink) => frame;

    public bool CutThePower(Exception exception) => false;
}
