using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FleetQuant.Api.Contracts;
using FleetQuant.Compression.Data;
using FleetQuant.Gateway.Api;
using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace FleetQuant.Gateway.Tests;

/// <summary>The operator API refuses what it would otherwise misread: one careless request must not hurt the fleet.</summary>
public sealed class OperatorApiStrictnessTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task CreateRollout_WithSelectorAsGetShowsIt_Returns400NamingTheField()
    {
        var response = await host.Http.PostAsync("/api/rollouts",
            Json("""{"rolloutId":"strict-selector","modelId":"m","version":"1","selector":{"deviceIds":["d1"]}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'selector'", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/rollouts/strict-selector")).StatusCode);
    }

    [Fact]
    public async Task Provision_WithUnknownField_Returns400NamingTheField()
    {
        var response = await host.Http.PostAsync("/api/devices", Json("""{"deviceId":"strict-dev-1","hardwareClas":"pi4"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'hardwareClas'", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/devices/strict-dev-1")).StatusCode);
    }

    [Fact]
    public async Task CreateRollout_WithUnknownNestedField_Returns400NamingTheField()
    {
        var response = await host.Http.PostAsync("/api/rollouts",
            Json("""{"modelId":"m","version":"1","waves":[{"count":1,"size":3}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'size'", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Provision_IdOutsideTheGrammar_Returns400(string deviceId)
    {
        var response = await host.Http.PostAsJsonAsync("/api/devices", new { deviceId });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not starting with '.'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Provision_IdOfExactly64Characters_IsAccepted()
    {
        var response = await host.Http.PostAsJsonAsync("/api/devices", new { deviceId = new string('b', 64) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Provision_ExistingDevice_Returns409AndKeepsSecretAndClass()
    {
        var first = await GatewayTestData.ProvisionAsync(host.Http, "strict-dup-1", hardwareClass: "pi4");

        var again = await host.Http.PostAsJsonAsync("/api/devices", new { deviceId = "strict-dup-1", hardwareClass = "nuc" });

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already provisioned", await again.Content.ReadAsStringAsync());
        Assert.True(await Device("strict-dup-1").VerifyCredentials(first.Secret));
        var view = (await host.Http.GetFromJsonAsync<DeviceView>("/api/devices/strict-dup-1", ApiJson))!;
        Assert.Equal("pi4", view.Profile!.HardwareClass);
    }

    [Fact]
    public async Task RotateSecret_ReturnsNewSecretOnce_AndOldSecretIsRefusedAtOnce()
    {
        var first = await GatewayTestData.ProvisionAsync(host.Http, "strict-rotate-1");
        var credentials = host.Services.GetRequiredService<DeviceCredentialCheck>();
        Assert.True(await credentials.IsValidAsync("strict-rotate-1", first.Secret)); // now remembered by the Gateway

        var response = await host.Http.PostAsync("/api/devices/strict-rotate-1/secret", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = (await response.Content.ReadFromJsonAsync<ProvisionDeviceResponse>())!;
        Assert.Equal("strict-rotate-1", rotated.DeviceId);
        Assert.NotEqual(first.Secret, rotated.Secret);
        Assert.Contains("BEGIN PUBLIC KEY", rotated.ServerPublicKeyPem);
        Assert.False(await Device("strict-rotate-1").VerifyCredentials(first.Secret));
        Assert.True(await Device("strict-rotate-1").VerifyCredentials(rotated.Secret));
        Assert.False(await credentials.IsValidAsync("strict-rotate-1", first.Secret));
        Assert.True(await credentials.IsValidAsync("strict-rotate-1", rotated.Secret));
        var mosquitto = (await host.Http.GetFromJsonAsync<MosquittoConfig>("/api/broker/mosquitto"))!;
        var hash = mosquitto.PasswordFile.Split('\n').Single(l => l.StartsWith("strict-rotate-1:", StringComparison.Ordinal))["strict-rotate-1:".Length..];
        Assert.True(MosquittoPasswordHash.Verify(rotated.Secret, hash));
        Assert.False(MosquittoPasswordHash.Verify(first.Secret, hash));
    }

    [Fact]
    public async Task RotateSecret_ClosesTheSessionOpenedWithTheOldSecret()
    {
        var first = await GatewayTestData.ProvisionAsync(host.Http, "strict-rotate-2");
        await using var device = new TestMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await device.ConnectAsync(host.MqttHost, host.MqttPort, "strict-rotate-2", "strict-rotate-2", first.Secret));

        Assert.Equal(HttpStatusCode.OK, (await host.Http.PostAsync("/api/devices/strict-rotate-2/secret", null)).StatusCode);

        await Eventually.Until(() => Task.FromResult(device.IsConnected), connected => !connected, "the old session closed");
        await using var again = new TestMqttClient();
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword,
            await again.ConnectAsync(host.MqttHost, host.MqttPort, "strict-rotate-2", "strict-rotate-2", first.Secret));
    }

    [Fact]
    public async Task RotateSecret_UnknownDevice_Returns404()
    {
        var response = await host.Http.PostAsync("/api/devices/strict-never/secret", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Ladder_OfAVersionThatDoesNotExist_Returns404()
    {
        var response = await host.Http.GetAsync("/api/models/strict-no-model/versions/7/ladder");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("has no version '7'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ladder_OfAVersionStillAnalysing_Returns409_AndAnUnknownSiblingVersion404()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(SampleData.ModelPath("fashion-mlp-v1.onnx"))), "model", "m.onnx" } };
        (await host.Http.PostAsync("/api/models/strict-analysing/versions", form)).EnsureSuccessStatusCode();

        var ladder = await host.Http.GetAsync("/api/models/strict-analysing/versions/1/ladder");
        var missing = await host.Http.GetAsync("/api/models/strict-analysing/versions/2/ladder");

        // The ladder may already be measured on a fast machine; then the version is Ready (for good) and 200 is right.
        var model = (await host.Http.GetFromJsonAsync<ModelView>("/api/models/strict-analysing", ApiJson))!;
        Assert.True(ladder.StatusCode == HttpStatusCode.Conflict || (ladder.StatusCode == HttpStatusCode.OK && model.Versions.Single().Status == ModelStatus.Ready),
            $"ladder of an existing version: {ladder.StatusCode}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task CreateRollout_OfAnUnknownModelVersion_Returns404AndLeavesNoRollout()
    {
        var response = await host.Http.PostAsync("/api/rollouts", Json("""{"rolloutId":"strict-ghost","modelId":"strict-ghost-model","version":"3"}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("has no version '3'", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/rollouts/strict-ghost")).StatusCode);
    }

    private FleetQuant.Grains.Devices.IDeviceGrain Device(string id) =>
        host.Services.GetRequiredService<IGrainFactory>().GetGrain<FleetQuant.Grains.Devices.IDeviceGrain>(id);

    [Theory]
    [InlineData("3")]
    [InlineData("\"3\"")]
    public async Task CreateRollout_VersionAsNumberOrNumericString_IsReadAsThatVersion(string version)
    {
        var response = await host.Http.PostAsync("/api/rollouts", Json($$"""{"modelId":"strict-numbered","version":{{version}}}"""));

        // The version is read (so the model grain is asked for "3", which was never uploaded), not refused as malformed.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("has no version '3'", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("true")]
    [InlineData("3.5")]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("\"v3\"")]
    [InlineData("[3]")]
    [InlineData("null")]
    public async Task CreateRollout_VersionOfAnotherType_Returns400(string version)
    {
        var response = await host.Http.PostAsync("/api/rollouts", Json($$"""{"modelId":"strict-numbered","version":{{version}}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("version must be a positive integer", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Root_IsAPublicIndexOfTheServiceWithoutFleetData()
    {
        await GatewayTestData.ProvisionAsync(host.Http, "strict-index-dev");

        var response = await host.Anonymous.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var index = (await response.Content.ReadFromJsonAsync<ServiceIndex>())!;
        Assert.Equal("/api", index.Api);
        Assert.Equal("/openapi/v1.json", index.OpenApi);
        Assert.Equal("/metrics", index.Metrics);
        Assert.Equal("/health", index.Health);
        Assert.Equal("/alive", index.Alive);
        Assert.DoesNotContain("strict-index-dev", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await host.Anonymous.GetAsync(index.OpenApi)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Anonymous.GetAsync(index.Metrics)).StatusCode);
    }
}
