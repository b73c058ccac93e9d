using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using MQTTnet;

namespace FleetQuant.Gateway.Tests;

public sealed class BrokerSecurityTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    [Fact]
    public async Task Connect_WithProvisionedCredentials_Succeeds()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "sec-good-1");
        await using var client = new TestMqttClient();
        var result = await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);
        Assert.Equal(MqttClientConnectResultCode.Success, result);
    }

    [Fact]
    public async Task Connect_WithWrongSecret_IsRefused()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "sec-bad-1");
        var refusedBefore = host.Counters.RefusedConnections;
        await using var client = new TestMqttClient();
        var result = await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret + "nope");
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result);
        Assert.False(client.IsConnected);
        Assert.True(host.Counters.RefusedConnections > refusedBefore);
    }

    [Fact]
    public async Task Connect_WithClientIdOtherThanDeviceId_IsRefused()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "sec-cid-1");
        await using var client = new TestMqttClient();
        var result = await client.ConnectAsync(host.MqttHost, host.MqttPort, "someone-else", device.DeviceId, device.Secret);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, result);
    }

    [Fact]
    public async Task Connect_UnknownDevice_IsRefused()
    {
        await using var client = new TestMqttClient();
        var result = await client.ConnectAsync(host.MqttHost, host.MqttPort, "sec-ghost", "sec-ghost", "0123456789abcdef0123");
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result);
    }

    [Fact]
    public async Task Device_PublishesOnlyUnderItsOwnUplink()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "sec-pub-1");
        await GatewayTestData.ProvisionAsync(host.Http, "sec-pub-2");
        await using var client = new TestMqttClient();
        await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);

        var own = await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Status), new StatusMessage { Online = true });
        var other = await client.PublishAsync(DeviceTopics.Up("sec-pub-2", DeviceTopics.Status), new StatusMessage { Online = false });
        var ownDownlink = await client.PublishAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.Desired), "{}"u8.ToArray());

        Assert.Equal(MqttClientPublishReasonCode.Success, own);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, other);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ownDownlink);
    }

    [Fact]
    public async Task Device_SubscribesOnlyUnderItsOwnDownlink()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "sec-sub-1");
        await using var client = new TestMqttClient();
        await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);

        Assert.True((int)await client.SubscribeAsync(DeviceTopics.DownlinkPrefix(device.DeviceId) + "#") < 0x80);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync(DeviceTopics.DownlinkPrefix("sec-sub-2") + "#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("fq/+/down/#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("#"));
    }

    [Fact]
    public async Task MalformedPayload_IsCountedAndTheBridgeKeepsRouting()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "sec-junk-1");
        await using var client = new TestMqttClient();
        await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);
        var malformedBefore = host.Counters.MalformedMessages;

        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello), "{not json"u8.ToArray());
        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Telemetry), new byte[] { 0xff, 0x00, 0x13 });
        await Eventually.Until(() => Task.FromResult(host.Counters.MalformedMessages), n => n >= malformedBefore + 2, "malformed messages counted");

        // Still alive: a valid hello is routed to the device grain, which now has the reported profile.
        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello), GatewayTestData.Hello(device.DeviceId));
        await Eventually.Until(() => host.Http.GetStringAsync($"/api/devices/{device.DeviceId}"), body => body.Contains("arm64"), "hello routed after junk");
    }
}
