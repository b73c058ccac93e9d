using System.Net;
using FleetQuant.Gateway.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// MQTTnet's broker in this process, with FleetQuant's authentication and ACL: a device's client id must equal its
/// user name and its secret must verify against its grain; the Gateway account may do anything; a device may
/// publish only under its own <c>up/</c> and subscribe only under its own <c>down/</c>. Refusals are counted and logged.
/// </summary>
public sealed class EmbeddedBroker(
    IOptions<MqttOptions> options,
    BrokerEndpoint endpoint,
    GatewayAccount account,
    DeviceCredentialCheck credentials,
    GatewayCounters counters,
    ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private const string RoleKey = "fq.role";
    private const string GatewayRole = "gateway";
    private MqttServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var serverOptions = new MqttServerFactory().CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Parse(settings.ListenAddress))
            .WithDefaultEndpointPort(endpoint.Port)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        await _server.StartAsync();
        logger.LogInformation("embedded MQTT broker listening on {Address}:{Port}", settings.ListenAddress, endpoint.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true } server)
        {
            await server.StopAsync();
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

    private void Refuse(ValidatingConnectionEventArgs args, MqttConnectReasonCode code, string reason)
    {
        args.ReasonCode = code;
        args.ReasonString = reason;
        counters.RefusedConnection();
        logger.LogInformation("refused MQTT connection of client {Client} user {User} from {Endpoint}: {Reason}", args.ClientId, args.UserName, args.RemoteEndPoint, reason);
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs args)
    {
        if (IsGateway(args.SessionItems) || args.ClientId is null)
        {
            // A null client id is a message injected by the server itself.
            return Task.CompletedTask;
        }
        var topic = args.ApplicationMessage.Topic;
        if (!DeviceAccessPolicy.MayPublish(args.UserName ?? "", topic))
        {
            args.ProcessPublish = false;
            args.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            counters.RefusedPublish();
            logger.LogInformation("refused publish of {Client} to {Topic}", args.ClientId, topic);
        }
        return Task.CompletedTask;
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
            logger.LogInformation("refused subscription of {Client} to {Filter}", args.ClientId, filter);
        }
        return Task.CompletedTask;
    }

    private static bool IsGateway(System.Collections.IDictionary? items) =>
        items is not null && items.Contains(RoleKey) && Equals(items[RoleKey], GatewayRole);
}
