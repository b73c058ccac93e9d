using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Api;
using FleetQuant.Gateway.Bridge;
using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.DependencyInjection;

namespace FleetQuant.Gateway.Tests;

/// <summary>An all-in-one host with one model version uploaded once (ladder ready), for the attacks that need a rollout.</summary>
public sealed class AttackReplayHost : AllInOneHost
{
    public const string ModelId = "atk-model";

    private readonly SemaphoreSlim _modelLock = new(1, 1);
    private string? _version;

    /// <summary>The uploaded version, uploading and waiting for its ladder on first use.</summary>
    public async Task<string> ModelVersionAsync()
    {
        await _modelLock.WaitAsync();
        try
        {
            if (_version is null)
            {
                const string file = "fashion-mlp-v1.onnx";
                using var form = new MultipartFormDataContent
                {
                    { new ByteArrayContent(await File.ReadAllBytesAsync(GatewayTestData.ModelPath(file))), "model", file },
                };
                var upload = await Http.PostAsync($"/api/models/{ModelId}/versions", form);
                Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
                var version = (await upload.Content.ReadFromJsonAsync<ModelVersionView>(AttackReplayTests.Json))!.Version;
                await Eventually.Until(() => Http.GetFromJsonAsync<ModelView>($"/api/models/{ModelId}", AttackReplayTests.Json)!,
                    m => m!.Versions.Single(v => v.Version == version).Status == ModelStatus.Ready, $"ladder of {file}", TimeSpan.FromSeconds(120));
                _version = version;
            }
            return _version;
        }
        finally
        {
            _modelLock.Release();
        }
    }

    /// <summary>A rollout of the host's model to one device, after its hello (the planner needs a profile); returns the desired state it was issued.</summary>
    public async Task<DesiredState> RollOutAsync(string rolloutId, ProvisionDeviceResponse device)
    {
        var deviceId = device.DeviceId;
        // Said with Debian's mosquitto_pub, as the attacks are.
        var hello = await MosquittoClients.RunAsync(MosquittoClients.Pub,
        [
            .. MosquittoClients.Connection(MqttHost, MqttPort, "mqttv5", deviceId, deviceId, device.Secret),
            "-q", "1", "-t", DeviceTopics.Up(deviceId, DeviceTopics.Hello), "-m", ProtocolJson.SerializeToString(GatewayTestData.Hello(deviceId)),
        ]);
        Assert.True(hello.ExitCode == 0, hello.ToString());
        await Eventually.Until(() => Http.GetFromJsonAsync<DeviceView>($"/api/devices/{deviceId}", AttackReplayTests.Json)!,
            v => v!.Profile?.Arch == "arm64", $"hello of {deviceId} routed");
        var version = await ModelVersionAsync();
        var created = await Http.PostAsJsonAsync("/api/rollouts", new
        {
            rolloutId, modelId = ModelId, version, deviceIds = new[] { deviceId }, waves = new[] { new { count = 1 } },
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var view = await Eventually.Until(() => Http.GetFromJsonAsync<DeviceView>($"/api/devices/{deviceId}", AttackReplayTests.Json)!,
            v => v!.Desired is not null, $"desired state of {deviceId}", TimeSpan.FromSeconds(60));
        return view!.Desired!;
    }
}

/// <summary>
/// Every attack of the issue "one hostile device or one careless request cannot hurt the fleet", replayed with real
/// clients that share no code with FleetQuant — Debian's <c>mosquitto_pub</c>/<c>mosquitto_sub</c>, <c>curl</c>,
/// <c>ss</c> — against a running all-in-one host, each as a device with its own provisioned credentials. Each test ends
/// by checking the refusal is counted in <c>/metrics</c> under its reason and the fleet still works.
/// </summary>
[Trait("Category", "Mosquitto")]
public sealed class AttackReplayTests(AttackReplayHost host) : IClassFixture<AttackReplayHost>
{
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private const string Curl = "/usr/bin/curl";
    private const string Ss = "/usr/bin/ss";
    private const string MaxLong = "9223372036854775807";

    [Fact]
    public async Task TelemetryWithInt64MaxBandwidthAndMemory_LeavesTheDeviceReadable()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-a-1");
        var outOfRange = await RejectedInMetricsAsync("out-of-range");
        var payload = $$"""{"at":"{{DateTimeOffset.UtcNow:O}}","inferences":1,"latenciesMs":[3.0],"memoryBytes":{{MaxLong}},"downloadBitsPerSecond":{{MaxLong}}}""";

        for (var i = 0; i < 5; i++)
        {
            var run = await PublishAsync(device, DeviceTopics.Telemetry, payload);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.LastSeen is not null, "the telemetry routed");
        var (status, body) = await CurlAsync("GET", $"/api/devices/{device.DeviceId}");
        Assert.True(status == 200, $"GET the device after the attack: {status} {body}");
        Assert.DoesNotContain(MaxLong, body);
        // Two values dropped per message, five messages.
        await Eventually.Until(() => RejectedInMetricsAsync("out-of-range"), n => n >= outOfRange + 10, "the int64-max values dropped as out-of-range");
        await AssertFleetHealthyAsync();
    }

    [Fact]
    public async Task TelemetryWithOneNegativeLatency_DropsThatValueAndKeepsTheRest()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-a-2");
        var outOfRange = await RejectedInMetricsAsync("out-of-range");
        var payload = $$"""{"at":"{{DateTimeOffset.UtcNow:O}}","inferences":3,"latenciesMs":[2.0,-5.0,4.0],"memoryBytes":123456}""";

        var run = await PublishAsync(device, DeviceTopics.Telemetry, payload);
        Assert.True(run.ExitCode == 0, run.ToString());

        var telemetry = (await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.Telemetry.Reports > 0, "the telemetry stored"))!.Telemetry;
        Assert.Equal(3, telemetry.Inferences);
        Assert.Equal(123456, telemetry.PeakMemoryBytes);
        Assert.InRange(telemetry.LatencyP50Ms!.Value, 2.0, 4.0);
        await Eventually.Until(() => RejectedInMetricsAsync("out-of-range"), n => n >= outOfRange + 1, "the negative latency counted");
    }

    [Fact]
    public async Task TelemetryLatenciesOf1e308AfterASuccessReport_KeepTheLatencySumFinite()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-b-1");
        var normal = $$"""{"at":"{{DateTimeOffset.UtcNow:O}}","inferences":2,"latenciesMs":[3.0,4.0]}""";
        var huge = $$"""{"at":"{{DateTimeOffset.UtcNow:O}}","inferences":3,"latenciesMs":[1.7e308,1.7e308,1.7e308]}""";
        Assert.Equal(0, (await PublishAsync(device, DeviceTopics.Telemetry, normal)).ExitCode);
        await Eventually.Until(ReadLatencySumsAsync, sums => sums.Count > 0, "a latency series in /metrics");

        // The success claimed first, as in the issue: the grain flags it, and the latencies that follow are still bounded.
        var desired = await host.RollOutAsync("atk-ro-b", device);
        Assert.Equal(0, (await PublishAsync(device, DeviceTopics.Update, $$"""{"release":{{desired.Release}},"stage":"succeeded"}""")).ExitCode);
        await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.History.Any(h => h.Release == desired.Release), "the success report handled");
        var outOfRange = await RejectedInMetricsAsync("out-of-range");
        Assert.Equal(0, (await PublishAsync(device, DeviceTopics.Telemetry, huge)).ExitCode);

        await Eventually.Until(() => RejectedInMetricsAsync("out-of-range"), n => n >= outOfRange + 3, "the three latencies dropped as out-of-range");
        var sums = await ReadLatencySumsAsync();
        Assert.All(sums, s => Assert.True(double.IsFinite(s.Value) && s.Value < 1e6, $"{s.Series} = {s.Value}"));
        await AssertFleetHealthyAsync();
    }

    [Fact]
    public async Task NothingListensOnTheIPv6Wildcard_ForTheMqttPort()
    {
        var listeners = await MosquittoClients.RunAsync(Ss, ["-ltnH", $"sport = :{host.MqttPort}"]);
        Assert.True(listeners.ExitCode == 0, listeners.ToString());

        var locals = listeners.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]).ToList();
        Assert.NotEmpty(locals);
        Assert.DoesNotContain($"[::]:{host.MqttPort}", locals);
        Assert.DoesNotContain($"*:{host.MqttPort}", locals);
        Assert.DoesNotContain($"0.0.0.0:{host.MqttPort}", locals);
        Assert.Contains($"127.0.0.1:{host.MqttPort}", locals);
    }

    [Fact]
    public async Task TenMegabytePublish_AndRetainedJunk_AreRefused_AndNothingIsRetained()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-d-1");
        var file = Path.Combine(host.DataDirectory, "atk-10mb.bin");
        await File.WriteAllBytesAsync(file, new byte[10 * 1024 * 1024]);
        var tooLarge = await RejectedInMetricsAsync("too-large");

        var big = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(device), "-q", "1", "-t", DeviceTopics.Up(device.DeviceId, DeviceTopics.Telemetry), "-f", file]);
        Assert.True(big.ExitCode != 0, $"the 10 MB sender should be refused and disconnected: {big}");
        await Eventually.Until(() => RejectedInMetricsAsync("too-large"), n => n > tooLarge, $"too-large counted ({big})");

        var acl = await RejectedInMetricsAsync("acl");
        var junkTopic = DeviceTopics.UplinkPrefix(device.DeviceId) + "junk";
        var junk = await MosquittoClients.RunAsync(MosquittoClients.Pub, [.. Connect(device), "-q", "1", "-r", "-t", junkTopic, "-m", "junk"]);
        Assert.Contains("not authori", junk.StandardError, StringComparison.OrdinalIgnoreCase);
        await Eventually.Until(() => RejectedInMetricsAsync("acl"), n => n > acl, "the junk topic counted as acl");

        // The Gateway account may read every topic: a retained message on the junk topic would arrive at once.
        var account = host.Services.GetRequiredService<GatewayAccount>();
        var read = await MosquittoClients.RunAsync(MosquittoClients.Sub,
        [
            .. MosquittoClients.Connection(host.MqttHost, host.MqttPort, "mqttv5", "atk-d-reader", account.User, account.Secret),
            "-t", junkTopic, "-C", "1", "-W", "2",
        ]);
        Assert.Equal("", read.StandardOutput.Trim());
        await AssertFleetHealthyAsync();
    }

    [Fact]
    public async Task HelloWithA200KilobyteClassAndTags_ChangesNeitherTheClassNorTheMetricsSize()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-e-1");
        var hostile = new string('h', 200 * 1024);
        var hello = GatewayTestData.Hello(device.DeviceId);
        hello = hello with
        {
            Profile = hello.Profile with
            {
                HardwareClass = hostile,
                Arch = "arm64",
                Tags = Enumerable.Range(0, 20).ToDictionary(i => $"tag{i}-" + new string('k', 40), i => new string('v', 1000)),
            },
        };
        var before = (await MetricsTextAsync()).Length;

        // Over 128 KiB: too long for one command-line argument, so the payload goes through a file.
        var file = Path.Combine(host.DataDirectory, "atk-hello.json");
        await File.WriteAllTextAsync(file, ProtocolJson.SerializeToString(hello));
        var run = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(device), "-q", "1", "-t", DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello), "-f", file]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var view = await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.Profile?.Arch == "arm64", "the hello routed");
        Assert.Equal("pi4", view!.Profile!.HardwareClass);
        Assert.DoesNotContain("hhhhhhhh", await host.Http.GetStringAsync($"/api/devices/{device.DeviceId}"));
        // The meter is static, so hosts of other test classes running at once also change /metrics: a leak of the hello
        // would stay (≥ 200 KB), another host's gauge snapshot comes and goes, hence "within a few KB at some point".
        var after = await Eventually.Until(MetricsTextAsync, t => t.Length - before < 16 * 1024,
            $"/metrics to stay within 16 KiB of its {before} bytes before the hello", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("hhhhhhhh", after);
        Assert.DoesNotContain("vvvvvvvv", after);
        Assert.True(after.Split('\n').Max(l => l.Length) < 4096, "a /metrics line longer than 4 KiB");
        await AssertFleetHealthyAsync();
    }

    [Fact]
    public async Task CarelessRequests_AreRefusedWithTheRightStatus_AndCreateNothing()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-f-1");
        var version = await host.ModelVersionAsync();

        var again = await CurlAsync("POST", "/api/devices", $$"""{"deviceId":"{{device.DeviceId}}","hardwareClass":"pi4"}""");
        Assert.True(again.Status == 409, $"re-provisioning an existing id: {again}");

        var selector = await CurlAsync("POST", "/api/rollouts",
            $$$"""{"rolloutId":"atk-ro-selector","modelId":"{{{AttackReplayHost.ModelId}}}","version":{{{version}}},"selector":{"deviceIds":["{{{device.DeviceId}}}"]}}""");
        Assert.True(selector.Status == 400, $"a rollout with 'selector': {selector}");
        Assert.Contains("selector", selector.Body);
        var notCreated = await CurlAsync("GET", "/api/rollouts/atk-ro-selector");
        Assert.True(notCreated.Status == 404, $"the refused rollout should not exist: {notCreated}");

        var dots = await CurlAsync("POST", "/api/devices", """{"deviceId":"..","hardwareClass":"pi4"}""");
        Assert.True(dots.Status == 400, $"device id '..': {dots}");

        var unknownVersion = await CurlAsync("POST", "/api/rollouts",
            $$"""{"rolloutId":"atk-ro-unknown","modelId":"{{AttackReplayHost.ModelId}}","version":999,"deviceIds":["{{device.DeviceId}}"]}""");
        Assert.True(unknownVersion.Status == 404, $"an unknown model version: {unknownVersion}");

        var numeric = await CurlAsync("POST", "/api/rollouts",
            $$"""{"rolloutId":"atk-ro-numeric","modelId":"{{AttackReplayHost.ModelId}}","version":{{version}},"deviceIds":["{{device.DeviceId}}"]}""");
        Assert.True(numeric.Status == 200, $"a numeric version {version}: {numeric}");

        var index = await CurlAsync("GET", "/", token: false);
        Assert.True(index.Status == 200, $"GET /: {index}");
        Assert.Contains("\"api\":\"/api\"", index.Body);
        await AssertFleetHealthyAsync();
    }

    [Fact]
    public async Task SucceededReportForAReleaseNeverFetched_IsNotCounted_AndIsFlagged()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-g-1");
        var desired = await host.RollOutAsync("atk-ro-g", device);
        var unverified = await RejectedInMetricsAsync("unverified-success");

        var run = await PublishAsync(device, DeviceTopics.Update, $$"""{"release":{{desired.Release}},"stage":"succeeded"}""");
        Assert.True(run.ExitCode == 0, run.ToString());

        var view = await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.History.Any(h => h.Release == desired.Release), "the success report handled");
        var entry = view!.History.Single(h => h.Release == desired.Release);
        Assert.False(entry.Succeeded);
        Assert.Contains("unverified", entry.Error);
        Assert.NotEqual(DeviceState.UpToDate, view.State);
        Assert.NotEqual(desired.ArtifactHash, view.CurrentArtifactHash);
        await Eventually.Until(() => RejectedInMetricsAsync("unverified-success"), n => n > unverified, "unverified-success counted");
        var rollout = await Eventually.Until(() => host.Http.GetFromJsonAsync<RolloutView>("/api/rollouts/atk-ro-g", Json)!,
            r => r!.Counts.GetValueOrDefault(DeviceRolloutStatus.Failed) == 1, "the rollout to count the device failed");
        Assert.Equal(0, rollout!.Counts.GetValueOrDefault(DeviceRolloutStatus.Succeeded));
        await AssertFleetHealthyAsync();
    }

    [Fact]
    public async Task OutcomeReport_IsStoredBeforeTheDeviceGetsItsPubAck()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "atk-i-1");
        var desired = await host.RollOutAsync("atk-ro-i", device);
        await using var client = new TestMqttClient();
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success,
            await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret));
        // With the Gateway's uplink subscription down, nothing that is handled after the PUBACK can be handled at all.
        var bridge = host.Services.GetRequiredService<MqttBridge>();
        await bridge.StopAsync(CancellationToken.None);
        try
        {
            var ack = await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Update),
                new UpdateReport { Release = desired.Release, Stage = UpdateStage.Failed, Reason = "smoke test failed" });

            // Read at once, not eventually: a crash after the PUBACK must find the outcome already written.
            Assert.Equal(MQTTnet.MqttClientPublishReasonCode.Success, ack);
            var view = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<FleetQuant.Grains.Devices.IDeviceGrain>(device.DeviceId).GetView();
            Assert.Contains(view.History, h => h.Release == desired.Release && !h.Succeeded);
        }
        finally
        {
            await bridge.StartAsync(CancellationToken.None);
            await Eventually.Until(() => Task.FromResult(bridge.IsConnected), connected => connected, "the bridge reconnected");
        }
        await AssertFleetHealthyAsync();
    }

    private List<string> Connect(ProvisionDeviceResponse device) =>
        MosquittoClients.Connection(host.MqttHost, host.MqttPort, "mqttv5", device.DeviceId, device.DeviceId, device.Secret);

    private Task<ClientRun> PublishAsync(ProvisionDeviceResponse device, string kind, string payload) =>
        MosquittoClients.RunAsync(MosquittoClients.Pub, [.. Connect(device), "-q", "1", "-t", DeviceTopics.Up(device.DeviceId, kind), "-m", payload]);


    /// <summary><c>curl</c> against the operator API (with the operator token unless told otherwise): status and body.</summary>
    private async Task<(int Status, string Body)> CurlAsync(string method, string path, string? json = null, bool token = true)
    {
        List<string> arguments = ["-sS", "--path-as-is", "-X", method, "-o", "-", "-w", "\n%{http_code}", host.Http.BaseAddress + path.TrimStart('/')];
        if (token)
        {
            arguments.AddRange(["-H", $"Authorization: Bearer {AllInOneHost.Token}"]);
        }
        if (json is not null)
        {
            arguments.AddRange(["-H", "Content-Type: application/json", "--data-binary", json]);
        }
        var run = await MosquittoClients.RunAsync(Curl, arguments);
        Assert.True(run.ExitCode == 0, $"curl {method} {path}: {run}");
        var cut = run.StandardOutput.LastIndexOf('\n');
        return (int.Parse(run.StandardOutput[(cut + 1)..], CultureInfo.InvariantCulture), run.StandardOutput[..cut]);
    }

    private async Task<string> MetricsTextAsync()
    {
        var (status, body) = await CurlAsync("GET", "/metrics", token: false);
        Assert.True(status == 200, $"/metrics without a token configured should be open: {status}");
        return body;
    }

    /// <summary>The total of <c>fleetquant_rejected_total</c> for one reason, as <c>/metrics</c> shows it.</summary>
    private async Task<double> RejectedInMetricsAsync(string reason) =>
        Series(await MetricsTextAsync(), "fleetquant_rejected_total").Where(s => s.Series.Contains($"reason=\"{reason}\"", StringComparison.Ordinal)).Sum(s => s.Value);

    private async Task<List<(string Series, double Value)>> ReadLatencySumsAsync() =>
        Series(await MetricsTextAsync(), "fleetquant_inference_latency_seconds_sum");

    private static List<(string Series, double Value)> Series(string text, string metric) =>
        [.. text.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Select(l => SampleLine.Match(l))
            .Where(m => m.Success)
            .Select(m => (m.Groups["series"].Value, ParseValue(m.Groups["value"].Value)))];

    private static readonly Regex SampleLine = new(@"^(?<series>\S+(\{.*\})?)\s+(?<value>\S+)(\s+\d+)?$", RegexOptions.CultureInvariant);

    private static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(value, CultureInfo.InvariantCulture),
    };

    /// <summary>After an attack: the API lists devices, and a bystander device's hello still reaches its grain.</summary>
    private async Task AssertFleetHealthyAsync()
    {
        var (status, body) = await CurlAsync("GET", "/api/devices");
        Assert.True(status == 200, $"GET /api/devices after the attack: {status} {body}");
        var bystander = await GatewayTestData.ProvisionAsync(host.Http, "atk-bystander-" + Guid.NewGuid().ToString("N")[..8]);
        var hello = await PublishAsync(bystander, DeviceTopics.Hello, ProtocolJson.SerializeToString(GatewayTestData.Hello(bystander.DeviceId)));
        Assert.True(hello.ExitCode == 0, hello.ToString());
        await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{bystander.DeviceId}", Json)!,
            v => v!.Profile?.Arch == "arm64", "a bystander's hello routed after the attack");
    }
}
