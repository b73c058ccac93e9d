using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Manifests;
using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Transfers;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.Protocol.Transfer;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Gateway.Bridge;

/// <summary>
/// Routes one device message to its grain and answers on the device's downlink: hello → desired manifest (retained),
/// chunk request → chunk frame. Malformed or unauthorised messages are counted, logged and dropped; nothing throws out.
/// </summary>
public sealed class UplinkRouter(IGrainFactory grains, DesiredStateCache desiredCache, GatewayCounters counters, RefusalLog refusals, ILogger<UplinkRouter> logger)
{
    public async Task RouteAsync(string topic, ReadOnlyMemory<byte> payload, IDownlink downlink, CancellationToken cancellationToken)
    {
        if (!DeviceTopics.TryParseUplink(topic, out var deviceId, out var kind))
        {
            Drop(topic, "not a device uplink topic");
            return;
        }
        try
        {
            switch (kind)
            {
                case DeviceTopics.Hello:
                    await HelloAsync(deviceId, ProtocolJson.Deserialize<HelloMessage>(payload.Span), downlink, cancellationToken);
                    break;
                case DeviceTopics.Telemetry:
                    await grains.GetGrain<IDeviceGrain>(deviceId).ReportTelemetry(MessageMapping.ToGrain(ProtocolJson.Deserialize<TelemetryMessage>(payload.Span)));
                    break;
                case DeviceTopics.Update:
                    await grains.GetGrain<IDeviceGrain>(deviceId).ReportUpdate(MessageMapping.ToGrain(ProtocolJson.Deserialize<UpdateReport>(payload.Span)));
                    break;
                case DeviceTopics.ChunkRequest:
                    await ChunkAsync(deviceId, ProtocolJson.Deserialize<ChunkRequest>(payload.Span), downlink, cancellationToken);
                    break;
                case DeviceTopics.Status:
                    var status = ProtocolJson.Deserialize<StatusMessage>(payload.Span);
                    logger.LogDebug("{Device} is {State}", deviceId, status.Online ? "online" : "offline");
                    await grains.GetGrain<IDeviceGrain>(deviceId).ReportConnection(status.Online);
                    break;
                default:
                    Drop(topic, $"unknown message kind '{kind}'");
                    return;
            }
            counters.Routed();
        }
        catch (Exception ex) when (ex is ProtocolException or ArgumentException or DeviceNotProvisionedException)
        {
            Drop(topic, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A grain call failed (silo busy or restarting): the device retries hello/requests on its own schedule.
            logger.LogWarning("handling {Topic} failed: {Reason}", topic, ex.Message);
        }
    }

    private async Task HelloAsync(string deviceId, HelloMessage hello, IDownlink downlink, CancellationToken cancellationToken)
    {
        hello.Validate();
        if (hello.Profile.DeviceId != deviceId)
        {
            throw new ArgumentException($"hello on {deviceId}'s topic carries the profile of '{hello.Profile.DeviceId}'");
        }
        var desired = await grains.GetGrain<IDeviceGrain>(deviceId).Hello(MessageMapping.ToGrain(hello));
        desiredCache.Set(deviceId, desired);
        if (desired is null)
        {
            return;
        }
        // Republished on every hello so a device (or a restarted broker) converges even if a retained message was lost.
        var signed = await grains.GetGrain<IManifestGrain>(0).Sign(deviceId, desired);
        await PublishDesiredAsync(signed, downlink, cancellationToken);
    }

    public async Task PublishDesiredAsync(SignedDesiredState signed, IDownlink downlink, CancellationToken cancellationToken)
    {
        var payload = ProtocolJson.Serialize(MessageMapping.ToWire(signed));
        await downlink.PublishAsync(DeviceTopics.Down(signed.DeviceId, DeviceTopics.Desired), payload, retain: true, cancellationToken);
        counters.ManifestPublished();
    }

    private async Task ChunkAsync(string deviceId, ChunkRequest request, IDownlink downlink, CancellationToken cancellationToken)
    {
        if (request.Offset < 0 || request.Length is <= 0 or > ChunkTable.MaxChunkSize)
        {
            Refuse(deviceId, request, $"range {request.Offset}+{request.Length} is invalid (length 1..{ChunkTable.MaxChunkSize})");
            return;
        }
        var size = DesiredStateCache.SizeOf(desiredCache.Get(deviceId), request.ObjectSha256);
        if (size is null)
        {
            // The cache may be stale (new desired state since the last hello): ask the grain once.
            var desired = await grains.GetGrain<IDeviceGrain>(deviceId).GetDesiredState();
            desiredCache.Set(deviceId, desired);
            size = DesiredStateCache.SizeOf(desired, request.ObjectSha256);
        }
        if (size is null)
        {
            Refuse(deviceId, request, "object is not this device's desired artifact or delta");
            return;
        }
        if (request.Offset >= size)
        {
            Refuse(deviceId, request, $"offset {request.Offset} is beyond the object's {size} bytes");
            return;
        }
        var bytes = await grains.GetGrain<IArtifactRangeGrain>(0).ReadRange(request.ObjectSha256, request.Offset, request.Length);
        // The device grain counts a success only for a release whose bytes were served (or already held). Recorded
        // before the bytes leave: the success report they make possible can then never overtake the record (outcomes
        // take a faster path than chunk requests on the embedded broker).
        await grains.GetGrain<IDeviceGrain>(deviceId).RecordChunkServed(request.ObjectSha256, request.Offset, bytes.Length);
        var frame = new ChunkFrame(request.RequestId, request.Offset, request.ObjectSha256, bytes).ToBytes();
        await downlink.PublishAsync(DeviceTopics.Down(deviceId, DeviceTopics.ChunkResponse), frame, retain: false, cancellationToken);
        counters.ChunkSent(bytes.Length);
    }

    private void Refuse(string deviceId, ChunkRequest request, string reason)
    {
        counters.ChunkRefused();
        refusals.Refused(RejectionReason.OutOfRange, deviceId, $"chunk request {request.RequestId} for {request.ObjectSha256}: {reason}");
    }

    private void Drop(string topic, string reason)
    {
        counters.Malformed();
        DeviceTopics.TryParseUplink(topic, out var deviceId, out _);
        refusals.Refused(RejectionReason.Malformed, deviceId, $"message on {topic}: {reason}");
    }
}
