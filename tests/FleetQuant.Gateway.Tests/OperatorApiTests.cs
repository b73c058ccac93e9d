using System.Net;
using System.Net.Http.Json;
using System.Text;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.Gateway.Tests;

public sealed class OperatorApiTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    [Fact]
    public async Task Api_WithoutToken_Returns401()
    {
        var response = await host.Anonymous.GetAsync("/api/devices");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithWrongToken_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AllInOneHost.Token + "x");
        var response = await host.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Provision_MalformedJson_Returns400WithMessage()
    {
        var response = await host.Http.PostAsync("/api/devices", new StringContent("{\"deviceId\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("malformed JSON", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Provision_InvalidDeviceId_Returns400()
    {
        var response = await host.Http.PostAsJsonAsync("/api/devices", new { deviceId = "bad/id#" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("device id", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upload_OverTheLimit_Returns413()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(new byte[AllInOneHost.UploadLimit + 1024]), "model", "big.onnx" },
        };
        // Expect: 100-continue lets the server refuse on the declared length before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/models/huge/versions") { Content = form };
        request.Headers.ExpectContinue = true;
        var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Upload_WithoutModelFile_Returns400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("1"), "version" } };
        var response = await host.Http.PostAsync("/api/models/nomodel/versions", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'model' file", await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string, byte[], string> BadDataUploads => new()
    {
        { "evalData", "eval.npy", NpyFiles.Floats([3, 100]), "samples of [100] for input 'input'" },
        { "calibrationData", "calibration.npy", [0x93, (byte)'N', (byte)'U', 1, 2, 3], "calibration.npy" },
        { "evalData", "eval.npz", Encoding.ASCII.GetBytes("PK not really a zip"), "eval.npz" },
        { "evalData", "../escape.npy", NpyFiles.Floats([2, 784]), "data file name" },
    };

    [Theory]
    [MemberData(nameof(BadDataUploads))]
    public async Task Upload_DataThatDoesNotFitTheModel_Returns400SayingWhy(string field, string fileName, byte[] bytes, string expected)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(FleetQuant.Compression.Data.SampleData.ModelPath("fashion-mlp-v1.onnx"))), "model", "m.onnx" },
            { new ByteArrayContent(bytes), field, fileName },
        };
        var modelId = "bad-data-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(field + fileName)))[..12];
        var response = await host.Http.PostAsync($"/api/models/{modelId}/versions", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/api/models/{modelId}")).StatusCode);
    }

    [Theory]
    [InlineData("inputShape", "input", "expected NAME=D1,D2,...")]
    [InlineData("inputValue", "sr=loud", "expected NAME=V")]
    [InlineData("inputRange", "x=2,1", "LO <= HI")]
    [InlineData("sampleShape", "784", "unknown form field 'sampleShape'")]
    public async Task Upload_MalformedHintOrUnknownField_Returns400NamingIt(string field, string value, string expected)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(FleetQuant.Compression.Data.SampleData.ModelPath("fashion-mlp-v1.onnx"))), "model", "m.onnx" },
            { new StringContent(value), field },
        };
        var response = await host.Http.PostAsync("/api/models/bad-hints/versions", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Provision_ReturnsCredentialsBrokerAndPublicKey()
    {
        var result = await GatewayTestData.ProvisionAsync(host.Http, "api-prov-1");
        Assert.Equal("api-prov-1", result.DeviceId);
        Assert.True(result.Secret.Length >= 16);
        Assert.Equal(host.MqttPort, result.MqttPort);
        Assert.Contains("BEGIN PUBLIC KEY", result.ServerPublicKeyPem);

        var device = await host.Http.GetAsync("/api/devices/api-prov-1");
        Assert.Equal(HttpStatusCode.OK, device.StatusCode);
        var listed = await host.Http.GetStringAsync("/api/devices?tag=site=lab&take=1000");
        Assert.Contains("api-prov-1", listed);
    }

    [Theory]
    [InlineData("{\"version\":\"1\"}", "modelId")]
    [InlineData("{\"modelId\":\"m\",\"version\":\"1\",\"successThreshold\":5}", "threshold")]
    [InlineData("{\"modelId\":\"m\",\"version\":\"1\",\"waves\":[{\"count\":0}]}", "wave")]
    public async Task CreateRollout_InvalidSpec_Returns400NamingTheProblem(string body, string mentioned)
    {
        var response = await host.Http.PostAsync("/api/rollouts", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentioned, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("take=0")]
    [InlineData("take=201")]
    [InlineData("take=many")]
    public async Task ListRollouts_PageSizeOutOfRange_Returns400(string query)
    {
        var response = await host.Http.GetAsync("/api/rollouts?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("take must be 1..200", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PauseRollout_ThatWasNeverCreated_Returns404()
    {
        var response = await host.Http.PostAsync("/api/rollouts/never-created/pause", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no rollout 'never-created'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ShowDevice_Unknown_Returns404()
    {
        var response = await host.Http.GetAsync("/api/devices/never-provisioned");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task MosquittoConfig_HasPatternAclAndAVerifyingHashForEachDevice()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "api-mosq-1");
        var config = (await host.Http.GetFromJsonAsync<MosquittoConfig>("/api/broker/mosquitto"))!;
        Assert.Contains("pattern write fq/%u/up/hello", config.AclFile);
        Assert.DoesNotContain("pattern write fq/%u/up/#", config.AclFile);
        Assert.Contains("max_packet_size ", config.ConfFile);
        Assert.Contains("pattern read fq/%u/down/#", config.AclFile);
        var line = config.PasswordFile.Split('\n').Single(l => l.StartsWith("api-mosq-1:", StringComparison.Ordinal));
        var hash = line["api-mosq-1:".Length..];
        Assert.StartsWith("$7$101$", hash);
        Assert.True(MosquittoPasswordHash.Verify(device.Secret, hash));
        Assert.False(MosquittoPasswordHash.Verify(device.Secret + "x", hash));
    }

    [Fact]
    public async Task OpenApiDocument_IsServed()
    {
        var document = await host.Anonymous.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/devices", document);
    }
}
