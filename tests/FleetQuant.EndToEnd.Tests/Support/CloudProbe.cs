using System.Buffers;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace FleetQuant.EndToEnd.Tests.Support;

/// <summary>
/// An MQTT client logged in with the Gateway's broker account — what an attacker who got hold of the broker, or a
/// buggy second Gateway, could do: read what the cloud retained for a device and put something else there.
/// </summary>
public sealed class CloudProbe : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly Channel<(string Topic, byte[] Payload)> _received = Channel.CreateUnbounded<(string, byte[])>();

    private CloudProbe()
    {
        _client.ApplicationMessageReceivedAsync += args =>
        {
            _received.Writer.TryWrite((args.ApplicationMessage.Topic, args.ApplicationMessage.Payload.ToArray()));
            return Task.CompletedTask;
        };
    }

    public static async Task<CloudProbe> ConnectAsync(string host, int port)
    {
        var probe = new CloudProbe();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId("e2e-cloud-probe")
            .WithCredentials(FleetHost.GatewayUser, FleetHost.GatewaySecret)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var result = await probe._client.ConnectAsync(options);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return probe;
    }

    /// <summary>The message the broker retains on <paramref name="topic"/> (subscribing delivers it).</summary>
    public async Task<byte[]> ReadRetainedAsync(string topic, TimeSpan timeout)
    {
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (received, payload) = await _received.Reader.ReadAsync(deadline.Token);
                if (received == topic)
                {
                    await _client.UnsubscribeAsync(topic);
                    return payload;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing retained on {topic} within {timeout.TotalSeconds:0} s");
        }
    }

    public async Task PublishRetainedAsync(string topic, byte[] payload)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var result = await _client.PublishAsync(message);
        Assert.True(result.IsSuccess, $"publish to {topic}: {result.ReasonCode}");
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
