using System.Net.Http.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using MQTTnet;

namespace FleetQuant.Gateway.Tests;

[Trait("Category", "Mosquitto")]
public sealed class ExternalMosquittoTests(MosquittoHost host) : IClassFixture<MosquittoHost>
{
    [Fact]
    public async Task GeneratedMosquittoFiles_EnforceDeviceAcl_AndTheBridgeRoutesThroughASharedSubscription()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "mq-dev-1");
        await GatewayTestData.ProvisionAsync(host.Http, "mq-dev-2");
        await host.StartBrokerAsync((await host.Http.GetFromJsonAsync<MosquittoConfig>("/api/broker/mosquitto"))!);

        await using (var intruder = new TestMqttClient())
        {
            Assert.NotEqual(MqttClientConnectResultCode.Success,
                await intruder.ConnectAsync("127.0.0.1", host.BrokerPort, device.DeviceId, device.DeviceId, device.Secret + "x"));
        }

        await using var client = new TestMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await client.ConnectAsync("127.0.0.1", host.BrokerPort, device.DeviceId, device.DeviceId, device.Secret));
        // Mosquitto may grant a subscription the ACL does not allow, but then never delivers on it: check delivery.
        await client.SubscribeAsync(DeviceTopics.DownlinkPrefix("mq-dev-2") + "#");
        Assert.True((int)await client.SubscribeAsync(DeviceTopics.DownlinkPrefix(device.DeviceId) + "#") < 0x80);
        await using (var gateway = new TestMqttClient())
        {
            Assert.Equal(MqttClientConnectResultCode.Success,
                await gateway.ConnectAsync("127.0.0.1", host.BrokerPort, "test-gateway-client", "fleetquant-gateway", MosquittoBrokerHost.GatewaySecret));
            var command = new DeviceCommand { Kind = CommandKind.SetTelemetryInterval, TelemetryIntervalSeconds = 30 };
            await gateway.PublishAsync(DeviceTopics.Down("mq-dev-2", DeviceTopics.Command), command);
            await gateway.PublishAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.Command), command);
        }
        await client.NextAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.Command), TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(DeviceTopics.Down("mq-dev-2", DeviceTopics.Command), client.Seen);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized,
            await client.PublishAsync(DeviceTopics.Up("mq-dev-2", DeviceTopics.Status), new StatusMessage { Online = false }));

        var routedBefore = host.Counters.RoutedMessages;
        Assert.Equal(MqttClientPublishReasonCode.Success,
            await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello), GatewayTestData.Hello(device.DeviceId)));
        await Eventually.Until(() => host.Http.GetStringAsync($"/api/devices/{device.DeviceId}"), body => body.Contains("arm64"), "hello routed via Mosquitto");
        Assert.True(host.Counters.RoutedMessages > routedBefore);
    }
}
