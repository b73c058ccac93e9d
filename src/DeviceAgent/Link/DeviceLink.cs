using System.Buffers;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace FleetQuant.DeviceAgent.Link;

/// <summary>
/// One device's MQTT connection: authenticates with its own credentials, leaves an "offline" last will,
/// subscribes to its downlink topics only, and reconnects from a periodic health check with exponential backoff
/// and jitter (not from the Disconnected event, which would race the client's own state).
/// </summary>
public sealed class DeviceLink : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly LinkOptions _options;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _jitter;
    private Task? _healthLoop;

    public DeviceLink(LinkOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _jitter = new Random(options.DeviceId.GetHashCode(StringComparison.Ordinal));
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
    }

    /// <summary>Raised with the raw payload of a message on one of the device's downlink topics.</summary>
    public Func<string, ReadOnlyMemory<byte>, Task>? MessageReceived { get; set; }

    /// <summary>Raised after every (re)connection, once subscriptions are in place.</summary>
    public Func<Task>? Connected { get; set; }

    public bool IsConnected => _client.IsConnected;

    public int Reconnects { get; private set; }

    /// <summary>Connects (throws when the broker refuses the credentials) and starts the health check.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken);
        _healthLoop = Task.Run(() => KeepConnectedAsync(_stop.Token), CancellationToken.None);
    }

    public async Task PublishAsync(string kind, byte[] payload, bool retain = false, CancellationToken cancellationToken = default)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(DeviceTopics.Up(_options.DeviceId, kind))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        await _client.PublishAsync(message, cancellationToken);
    }

    public Task PublishAsync<T>(string kind, T message, bool retain = false, CancellationToken cancellationToken = default) =>
        PublishAsync(kind, ProtocolJson.Serialize(message), retain, cancellationToken);

    /// <summary>Drops the connection without a clean disconnect, as a lost radio link would (fault injection).</summary>
    public async Task DropAsync()
    {
        await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_healthLoop is not null)
        {
            await _healthLoop;
        }
        if (_client.IsConnected)
        {
            await PublishStatusAsync(online: false, CancellationToken.None);
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithClientId(_options.DeviceId)
            .WithCredentials(_options.DeviceId, _options.Secret)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithCleanStart(true)
            .WithWillTopic(DeviceTopics.Up(_options.DeviceId, DeviceTopics.Status))
            .WithWillPayload(ProtocolJson.Serialize(new StatusMessage { Online = false }))
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

        var result = await _client.ConnectAsync(options, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new UnauthorizedAccessException($"broker refused {_options.DeviceId}: {result.ResultCode} {result.ReasonString}");
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(DeviceTopics.DownlinkPrefix(_options.DeviceId) + "#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var subscribed = await _client.SubscribeAsync(subscribe, cancellationToken);
        var refused = subscribed.Items.FirstOrDefault(i => (int)i.ResultCode >= 0x80);
        if (refused is not null)
        {
            throw new UnauthorizedAccessException($"broker refused subscription for {_options.DeviceId}: {refused.ResultCode}");
        }

        await PublishStatusAsync(online: true, cancellationToken);
        if (Connected is { } connected)
        {
            await connected();
        }
    }

    private Task PublishStatusAsync(bool online, CancellationToken cancellationToken) =>
        PublishAsync(DeviceTopics.Status, new StatusMessage { Online = online }, retain: true, cancellationToken);

    private async Task KeepConnectedAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        using var timer = new PeriodicTimer(_options.HealthCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await _client.TryPingAsync(cancellationToken))
                {
                    backoff = TimeSpan.FromMilliseconds(250);
                    continue;
                }

                try
                {
                    await Task.Delay(backoff + TimeSpan.FromMilliseconds(_jitter.Next(0, (int)backoff.TotalMilliseconds)), cancellationToken);
                    await ConnectAsync(cancellationToken);
                    Reconnects++;
                    _logger.LogInformation("{Device} reconnected", _options.DeviceId);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogWarning("{Device} reconnect failed: {Reason}", _options.DeviceId, ex.Message);
                    backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs args)
    {
        if (MessageReceived is not { } handler)
        {
            return;
        }
        var topic = args.ApplicationMessage.Topic;
        var prefix = DeviceTopics.DownlinkPrefix(_options.DeviceId);
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return;
        }
        try
        {
            await handler(topic[prefix.Length..], args.ApplicationMessage.Payload.ToArray());
        }
        catch (Exception ex)
        {
            // A bad message must not take the link down: log it and carry on.
            _logger.LogWarning("{Device} could not handle {Topic}: {Reason}", _options.DeviceId, topic, ex.Message);
        }
    }
}
