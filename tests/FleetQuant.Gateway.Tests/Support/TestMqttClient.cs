using System.Buffers;
using System.Threading.Channels;
using FleetQuant.Protocol.Messages;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace FleetQuant.Gateway.Tests.Support;

/// <summary>A real MQTTnet 5 client as a device would use it, collecting what it receives.</summary>
internal sealed class TestMqttClient : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly Channel<(string Topic, byte[] Payload)> _received = Channel.CreateUnbounded<(string, byte[])>();

    public TestMqttClient()
    {
        _client.ApplicationMessageReceivedAsync += args =>
        {
            Seen.Enqueue(args.ApplicationMessage.Topic);
            _received.Writer.TryWrite((args.ApplicationMessage.Topic, args.ApplicationMessage.Payload.ToArray()));
            return Task.CompletedTask;
        };
    }

    public bool IsConnected => _client.IsConnected;

    /// <summary>Topics of every message received, in arrival order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Seen { get; } = new();

    public async Task<MqttClientConnectResultCode> ConnectAsync(string host, int port, string clientId, string user, string password)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithCredentials(user, password)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        return (await _client.ConnectAsync(options)).ResultCode;
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        var result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return result.Items.Single().ResultCode;
    }

    public async Task<MqttClientPublishReasonCode> PublishAsync(string topic, byte[] payload)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        return (await _client.PublishAsync(message)).ReasonCode;
    }

    public Task<MqttClientPublishReasonCode> PublishAsync<T>(string topic, T message) => PublishAsync(topic, ProtocolJson.Serialize(message));

    /// <summary>The next message on <paramref name="topic"/>, skipping others, within the deadline.</summary>
    public async Task<byte[]> NextAsync(string topic, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (received, payload) = await _received.Reader.ReadAsync(deadline.Token);
                if (received == topic)
                {
                    return payload;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no message on {topic} within {timeout.TotalSeconds:0} s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }
        _client.Dispose();
    }
}
