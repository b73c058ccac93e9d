using System.Buffers;
using System.Net;
using System.Net.Sockets;
using FleetQuant.Gateway.Bridge;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Observability;
using FleetQuant.Protocol.Topics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// MQTTnet's broker in this process, with FleetQuant's authentication and ACL: a device's client id must equal its
/// user name and its secret must verify against its grain; the Gateway account may do anything; a device may
/// publish only the known message kinds under its own <c>up/</c> and subscribe only under its own <c>down/</c>.
/// Bounded for devices: listen addresses exactly as configured, payload size, no retained messages, a per-device
/// message rate, a connection limit and a per-client queue limit. Refusals are counted and logged (rate-limited).
/// </summary>
public sealed class EmbeddedBroker(
    IOptions<MqttOptions> options,
    BrokerEndpoint endpoint,
    GatewayAccount account,
    DeviceCredentialCheck credentials,
    GatewayCounters counters,
    DeviceRateLimiter rateLimiter,
    RefusalLog refusals,
    MqttBridge bridge,
    ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private const string RoleKey = "fq.role";
    private const string GatewayRole = "gateway";
    private MqttServer? _server;
    private int _connections;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var addresses = settings.ListenAddresses();
        // MQTTnet binds IPv4 0.0.0.0 and IPv6 [::] unless told otherwise; IPAddress.None switches a family off.
        var serverOptions = new MqttServerFactory().CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.None)
            .WithDefaultEndpointBoundIPV6Address(addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6) ?? IPAddress.None)
            .WithDefaultEndpointPort(endpoint.Port)
            .WithMaxPendingMessagesPerClient(settings.MaxPendingMessagesPerClient)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropOldestQueuedMessage)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.ClientConnectedAsync += _ =>
        {
            Interlocked.Increment(ref _connections);
            return Task.CompletedTask;
        };
        _server.ClientDisconnectedAsync += _ =>
        {
            Interlocked.Decrement(ref _connections);
            return Task.CompletedTask;
        };
        await _server.StartAsync();
        logger.LogInformation("embedded MQTT broker listening on {Addresses} port {Port}", string.Join(", ", addresses), endpoint.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true } server)
        {
            await server.StopAsync();
        }
    }

    /// <summary>Closes the session of <paramref name="deviceId"/> if it is connected here (its credentials were revoked).</summary>
    public async Task CloseSessionAsync(string deviceId)
    {
        try
        {
            if (_server is { IsStarted: true } server && (await server.GetClientsAsync()).Any(c => c.Id == deviceId))
            {
                await server.DisconnectClientAsync(deviceId, MqttDisconnectReasonCode.NotAuthorized);
                logger.LogInformation("closed the session of {Device}: its secret was rotated", deviceId);
            }
        }
        catch (Exception ex)
        {
            // It may have disconnected in between; if it is still there it cannot reconnect with the old secret anyway.
            logger.LogWarning("could not close the session of {Device}: {Reason}", deviceId, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _server?.Dispose();
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs args)
    {
        if (credentials.IsGatewayAccount(args.UserName, args.Password, account.Secret))
        {
            args.SessionItems[RoleKey] = GatewayRole;
            args.ReasonCode = MqttConnectReasonCode.Success;
            return;
        }
        if (Volatile.Read(ref _connections) >= options.Value.MaxConnections)
        {
            // The Gateway's own account was let in above: a full broker must not lock out the bridge.
            Refuse(args, MqttConnectReasonCode.QuotaExceeded, $"the broker is at its limit of {options.Value.MaxConnections} connections", RejectionReason.ConnectionLimit);
            return;
        }
        if (args.UserName is null || args.UserName == account.User || args.ClientId != args.UserName)
        {
            Refuse(args, MqttConnectReasonCode.NotAuthorized, "client id must equal the device id given as user name");
            return;
        }
        bool valid;
        try
        {
            valid = await credentials.IsValidAsync(args.UserName, args.Password);
        }
        catch (Exception ex)
        {
            // The silo is unreachable or failing: refuse for now, the device retries with backoff.
            logger.LogWarning("could not verify {Device}: {Reason}", args.UserName, ex.Message);
            Refuse(args, MqttConnectReasonCode.ServerUnavailable, "credentials cannot be checked right now");
            return;
        }
        if (!valid)
        {
            Refuse(args, MqttConnectReasonCode.BadUserNameOrPassword, "bad device id or secret");
            return;
        }
        args.ReasonCode = MqttConnectReasonCode.Success;
    }

    private void Refuse(ValidatingConnectionEventArgs args, MqttConnectReasonCode code, string reason, RejectionReason kind = RejectionReason.Auth)
    {
        args.ReasonCode = code;
        args.ReasonString = reason;
        counters.RefusedConnection();
        refusals.Refused(kind, args.UserName, $"connection of client '{args.ClientId}' from {args.RemoteEndPoint}: {reason}");
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs args)
    {
        if (IsGateway(args.SessionItems) || args.ClientId is null)
        {
            // A null client id is a message injected by the server itself.
            return;
        }
        var device = args.UserName ?? "";
        var message = args.ApplicationMessage;
        var topic = message.Topic;
        // Checked before anything else looks at the payload: MQTTnet has no broker-side maximum packet size, so the
        // packet has been read, but it is neither dispatched, retained nor copied, and the sender is disconnected.
        if (message.Payload.Length > options.Value.MaxMessageBytes)
        {
            RefusePublish(args, MqttPubAckReasonCode.PayloadFormatInvalid, RejectionReason.TooLarge,
                $"{message.Payload.Length}-byte publish to {topic} is over the {options.Value.MaxMessageBytes}-byte limit; disconnected");
            args.CloseConnection = true;
            return;
        }
        if (!DeviceAccessPolicy.MayPublish(device, topic))
        {
            RefusePublish(args, MqttPubAckReasonCode.NotAuthorized, RejectionReason.Acl, $"publish to {topic} (not one of its own uplink topics)");
            return;
        }
        if (!rateLimiter.TryAcquire(device))
        {
            RefusePublish(args, MqttPubAckReasonCode.QuotaExceeded, RejectionReason.RateLimited,
                $"publish to {topic} over {options.Value.DeviceMessagesPerSecond}/s (burst {options.Value.DeviceMessageBurst})");
            return;
        }
        // Only the server retains (desired states): a device's retained messages would be broker memory it controls.
        message.Retain = false;
        if (topic.EndsWith("/" + DeviceTopics.Update, StringComparison.Ordinal))
        {
            // An outcome is handled here, not through the bridge's subscription: MQTTnet sends the device's PUBACK when
            // this handler returns, so a crash before the grain has written the outcome leaves it unacknowledged.
            args.ProcessPublish = false;
            await bridge.RouteInlineAsync(topic, message.Payload.ToArray());
        }
    }

    private void RefusePublish(InterceptingPublishEventArgs args, MqttPubAckReasonCode code, RejectionReason reason, string what)
    {
        args.ProcessPublish = false;
        args.Response.ReasonCode = code;
        counters.RefusedPublish();
        refusals.Refused(reason, args.UserName ?? args.ClientId, what);
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs args)
    {
        if (IsGateway(args.SessionItems))
        {
            return Task.CompletedTask;
        }
        var filter = args.TopicFilter.Topic;
        if (!DeviceAccessPolicy.MaySubscribe(args.UserName ?? "", filter))
        {
            args.ProcessSubscription = false;
            args.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            counters.RefusedSubscription();
            refusals.Refused(RejectionReason.Acl, args.UserName ?? args.ClientId, $"subscription to {filter}");
        }
        return Task.CompletedTask;
    }

    private static bool IsGateway(System.Collections.IDictionary? items) =>
        items is not null && items.Contains(RoleKey) && Equals(items[RoleKey], GatewayRole);
}
