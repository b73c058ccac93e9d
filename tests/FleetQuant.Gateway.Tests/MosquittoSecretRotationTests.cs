using System.Net;
using System.Net.Http.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Api;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using MQTTnet;

namespace FleetQuant.Gateway.Tests;

/// <summary>
/// Against Debian's Mosquitto the Gateway cannot close a device's session itself: the operator regenerates the
/// password file and sends SIGHUP, and Mosquitto drops clients whose password no longer verifies (docs/OPERATIONS.md).
/// </summary>
public sealed class MosquittoSecretRotationTests(PackagedMosquittoHost host) : IClassFixture<PackagedMosquittoHost>
{
    [Fact]
    public async Task RotateSecret_ThenRegeneratedFilesAndHup_CloseTheOldSessionAndAdmitTheNewSecret()
    {
        var first = await GatewayTestData.ProvisionAsync(host.Http, "mq-rotate-1");
        await host.StartBrokerAsync((await host.Http.GetFromJsonAsync<MosquittoConfig>("/api/broker/mosquitto"))!);
        await using var device = new TestMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await device.ConnectAsync("127.0.0.1", host.BrokerPort, "mq-rotate-1", "mq-rotate-1", first.Secret));

        var response = await host.Http.PostAsync("/api/devices/mq-rotate-1/secret", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = (await response.Content.ReadFromJsonAsync<ProvisionDeviceResponse>())!;
        await host.ReloadBrokerAsync((await host.Http.GetFromJsonAsync<MosquittoConfig>("/api/broker/mosquitto"))!);

        await Eventually.Until(() => Task.FromResult(device.IsConnected), connected => !connected, "Mosquitto closed the old session");
        await using var withOld = new TestMqttClient();
        Assert.NotEqual(MqttClientConnectResultCode.Success, await withOld.ConnectAsync("127.0.0.1", host.BrokerPort, "mq-rotate-1", "mq-rotate-1", first.Secret));
        await using var withNew = new TestMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await withNew.ConnectAsync("127.0.0.1", host.BrokerPort, "mq-rotate-1", "mq-rotate-1", rotated.Secret));
    }
}
