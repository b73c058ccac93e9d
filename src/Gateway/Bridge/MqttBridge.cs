using System.Buffers;
using System.Collections.Frozen;
using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Observability;
using FleetQuant.Protocol.Topics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace FleetQuant.Gateway.Bridge;

/// <summary>
/// The Gateway's MQTT client: subscribes to every device's uplink (a shared subscription on an external broker),
/// hands messages to the <see cref="UplinkRouter"/> with bounded concurrency, and publishes downlink messages.
/// Reconnects from a periodic <c>TryPingAsync</c> check with exponential backoff and jitter.
/// </summary>
public sealed class MqttBridge : BackgroundService, IDownlink
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private static readonly FrozenSet<string> KnownKinds = FrozenSet.ToFrozenSet(
    [
        DeviceTopics.Hello, DeviceTopics.Telemetry, DeviceTopics.Update, DeviceTopics.ChunkRequest, DeviceTopics.Status,
        DeviceTopics.Desired, DeviceTopics.ChunkResponse, DeviceTopics.Command,
    ], StringComparer.Ordinal);

    private readonly MqttOptions _options;
    private readonly BrokerEndpoint _endpoint;
    private readonly GatewayAccount _account;
    private readonly UplinkRouter _router;
    private readonly DeviceRateLimiter _rateLimiter;
    private readonly RefusalLog _refusals;
    private readonly ILogger<MqttBridge> _logger;
    private readonly IMqttClient _client;
    private readonly SemaphoreSlim _concurrency;
    private readonly TaskCompletionSource _firstConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;

    public MqttBridge(IOptions<MqttOptions> options, IOptions<GatewayOptions> gateway, BrokerEndpoint endpoint, GatewayAccount account,
        UplinkRouter router, DeviceRateLimiter rateLimiter, RefusalLog refusals, ILogger<MqttBridge> logger)
    {
        _rateLimiter = rateLimiter;
        _refusals = refusals;
        _options = options.Value;
        _endpoint = endpoint;
        _account = account;
        _router = router;
        _logger = logger;
        _concurrency = new SemaphoreSlim(gateway.Value.MaxConcurrentGrainCalls);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
    }

    /// <summary>Completes once the bridge has connected and subscribed the first time.</summary>
    public Task Connected => _firstConnection.Task;

    public bool IsConnected => _client.IsConnected;

    /// <summary>The uplink filter: shared on an external broker so several Gateways split devices.</summary>
    public string UplinkFilter => !_options.IsEmbedded && !string.IsNullOrEmpty(_options.SharedGroup)
        ? $"$share/{_options.SharedGroup}/{DeviceTopics.AllUplink}"
        : DeviceTopics.AllUplink;

    public async Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        await _client.PublishAsync(message, cancellationToken);
        FleetQuantMetrics.RecordMqtt(MqttDirection.Out, MetricKind(topic), payload.Length);
    }

    /// <summary>
    /// Routes a device message the embedded broker handles itself, before it acknowledges it (update outcomes: see
    /// <see cref="EmbeddedBroker"/>). Failures are logged by the router, as for messages that come through the subscription.
    /// </summary>
    public async Task RouteInlineAsync(string topic, byte[] payload)
    {
        FleetQuantMetrics.RecordMqtt(MqttDirection.In, MetricKind(topic), payload.Length);
        await _router.RouteAsync(topic, payload, this, _stopping);
    }

    public override void Dispose()
    {
        _client.Dispose();
        _concurrency.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var backoff = TimeSpan.FromMilliseconds(200);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (await _client.TryPingAsync(stoppingToken))
                {
                    backoff = TimeSpan.FromMilliseconds(200);
                    await Task.Delay(CheckInterval, stoppingToken);
                    continue;
                }
                try
                {
                    await ConnectAsync(stoppingToken);
                    _firstConnection.TrySetResult();
                    backoff = TimeSpan.FromMilliseconds(200);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogWarning("MQTT bridge cannot reach {Host}:{Port}: {Reason}", _endpoint.Host, _endpoint.Port, ex.Message);
                    await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)backoff.TotalMilliseconds)), stoppingToken);
                    backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_endpoint.Host, _endpoint.Port)
            .WithClientId($"{_account.User}-{Guid.NewGuid():N}")
            .WithCredentials(_account.User, _account.Secret)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .Build();
        var result = await _client.ConnectAsync(options, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"broker refused the Gateway account: {result.ResultCode} {result.ReasonString}");
        }
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(UplinkFilter, MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var subscribed = await _client.SubscribeAsync(subscribe, cancellationToken);
        if (subscribed.Items.FirstOrDefault(i => (int)i.ResultCode >= 0x80) is { } refused)
        {
            throw new InvalidOperationException($"broker refused the uplink subscription {UplinkFilter}: {refused.ResultCode}");
        }
        _logger.LogInformation("MQTT bridge connected to {Host}:{Port}, subscribed {Filter}", _endpoint.Host, _endpoint.Port, UplinkFilter);
    }

    /// <summary>The topic's message kind as a metric label; devices choose their topics, so unknown kinds collapse to "other".</summary>
    private static string MetricKind(string topic)
    {
        var kind = topic[(topic.LastIndexOf('/') + 1)..];
        return KnownKinds.Contains(kind) ? kind : "other";
    }

    /// <summary>
    /// Size and rate checks before the payload is copied. The embedded broker has already applied both to devices;
    /// an external broker may not have (Mosquitto has no per-client message rate), so the bridge applies them here.
    /// </summary>
    private bool IsAcceptable(string topic, long payloadBytes)
    {
        DeviceTopics.TryParseUplink(topic, out var deviceId, out _);
        if (payloadBytes > _options.MaxMessageBytes)
        {
            _refusals.Refused(RejectionReason.TooLarge, deviceId, $"{payloadBytes}-byte message on {topic} is over the {_options.MaxMessageBytes}-byte limit");
            return false;
        }
        if (!_options.IsEmbedded && deviceId is not null && !_rateLimiter.TryAcquire(deviceId))
        {
            _refusals.Refused(RejectionReason.RateLimited, deviceId, $"message on {topic} over {_options.DeviceMessagesPerSecond}/s (burst {_options.DeviceMessageBurst})");
            return false;
        }
        return true;
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs args)
    {
        var topic = args.ApplicationMessage.Topic;
        if (!IsAcceptable(topic, args.ApplicationMessage.Payload.Length))
        {
            return;
        }
        // Copy before returning: MQTTnet reuses the buffer once the handler completes.
        var payload = args.ApplicationMessage.Payload.ToArray();
        FleetQuantMetrics.RecordMqtt(MqttDirection.In, MetricKind(topic), payload.Length);
        if (topic.EndsWith("/" + DeviceTopics.Status, StringComparison.Ordinal))
        {
            // Online/offline must be applied in broker order (a quick reconnect sends offline then online): route inline.
            // They come once per connection change, so this rarely holds up the other messages.
            await _router.RouteAsync(topic, payload, this, _stopping);
            return;
        }
        // Waiting here holds back further deliveries: backpressure instead of an unbounded backlog of grain calls.
        await _concurrency.WaitAsync(_stopping);
        // QoS 1: the PUBACK goes out only once the grain call (and the state write it makes) has completed, so a crash
        // before that leaves the message unacknowledged rather than acknowledged and lost.
        args.AutoAcknowledge = false;
        _ = Task.Run(async () =>
        {
            try
            {
                await _router.RouteAsync(topic, payload, this, _stopping);
                await args.AcknowledgeAsync(_stopping);
            }
            catch (Exception ex)
            {
                _logger.LogWarning("bridge could not handle {Topic}: {Reason}", topic, ex.Message);
            }
            finally
            {
                _concurrency.Release();
            }
        }, CancellationToken.None);
    }
}
