using FleetQuant.DeviceAgent.Updates;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>Thrown by fault injection to stop an agent the way a power cut would.</summary>
public sealed class SimulatedPowerCutException(UpdateCheckpoint checkpoint) : Exception($"simulated power cut at {checkpoint}");

/// <summary>
/// The simulator's <see cref="IUpdateFaultHook"/>: injects one <see cref="FaultPlan"/> into one runtime. Each runtime
/// gets its own, so chunk counts start over after a reboot.
/// </summary>
public sealed class SimulatedFaults(FaultPlan plan) : IUpdateFaultHook
{
    private int _framesReceived;
    private long _bytesReceived;
    private bool _dropped;

    public void AtCheckpoint(UpdateCheckpoint checkpoint)
    {
        if (plan.PowerCutAt == checkpoint)
        {
            throw new SimulatedPowerCutException(checkpoint);
        }
    }

    public ChunkFrame OnChunk(ChunkFrame frame, Action dropLink)
    {
        if (plan.CorruptChunkNumber == Interlocked.Increment(ref _framesReceived))
        {
            var bytes = frame.Data.ToArray();
            bytes[bytes.Length / 2] ^= 0x40;
            frame = frame with { Data = bytes };
        }
        var received = Interlocked.Add(ref _bytesReceived, frame.Data.Length);
        if (plan.DropConnectionAfterBytes is { } dropAfter && received >= dropAfter && !_dropped)
        {
            _dropped = true;
            dropLink();
        }
        return frame;
    }

    public bool CutThePower(Exception exception) => exception is SimulatedPowerCutException;
}
