using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.Gateway.Hosting;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.Gateway.Tests;

/// <summary>
/// The kill -9 drill: the real all-in-one silo runs as its own process; device agents update over MQTT; the process is
/// killed with SIGKILL right after the last fast agent's outcome became visible, while the rollout still runs (two slow
/// devices are still downloading); a new process on the same data directory counts every outcome settled before the kill.
/// </summary>
public sealed class KillNineDrillTests : IDisposable
{
    private const string Token = "drill-operator-token-0123456789";
    private const int Agents = 3;
    private const int SlowDevices = 2;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "fq-kill-drill", Guid.NewGuid().ToString("N"));
    private readonly int _httpPort = FreeTcpPorts.Claim();
    private readonly int _mqttPort = FreeTcpPorts.Claim();
    private readonly int _siloPort = FreeTcpPorts.Claim();
    private readonly int _gatewayPort = FreeTcpPorts.Claim();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    [Fact]
    public async Task OutcomesSettledBeforeKillNine_SurviveARestartOnTheSameDataDirectory()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var agentIds = Enumerable.Range(0, Agents).Select(i => $"drill-agent-{i}").ToArray();
        var slowIds = Enumerable.Range(0, SlowDevices).Select(i => $"drill-slow-{i}").ToArray();
        const string rolloutId = "drill-rollout";
        var settled = new List<string>();

        using (var first = await StartSiloAsync(http))
        {
            var agents = new List<DeviceRuntime>();
            try
            {
                // Slow devices: throttled to 20 kbit/s, they are still downloading at the kill, so the rollout is mid-flight.
                foreach (var (id, bandwidth) in agentIds.Select(id => (id, 50_000_000L)).Concat(slowIds.Select(id => (id, 20_000L))))
                {
                    var device = await GatewayTestData.ProvisionAsync(http, id);
                    var agent = new DeviceRuntime(new AgentOptions
                    {
                        Link = new LinkOptions { Host = "127.0.0.1", Port = _mqttPort, DeviceId = device.DeviceId, Secret = device.Secret },
                        ServerPublicKeyPem = device.ServerPublicKeyPem,
                        StateDirectory = Path.Combine(_dataDirectory, "agents", id),
                        Profile = new ProfileOverrides { HardwareClass = "pi4", ModelMemoryBudgetBytes = 256L << 20, BandwidthBitsPerSecond = bandwidth },
                        ThrottleToProfileBandwidth = true,
                        InferenceInterval = TimeSpan.FromSeconds(1),
                    }, GeneratedInputs.Create([784], 4, seed: 1), NullLogger.Instance);
                    agents.Add(agent);
                    await agent.StartAsync(CancellationToken.None);
                }
                await UploadAsync(http, "drill-model", "fashion-mlp-v1.onnx");
                var targets = string.Join(",", agentIds.Concat(slowIds).Select(id => $"\"{id}\""));
                var created = await http.PostAsync("/api/rollouts", new StringContent(
                    $$"""{"rolloutId":"{{rolloutId}}","modelId":"drill-model","version":"1","deviceIds":[{{targets}}],"waves":[{"count":{{Agents + SlowDevices}}}]}""",
                    Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, created.StatusCode);

                // Polled tightly so the kill lands right after the last outcome was written, before a rollout tick would write its count.
                while (settled.Count < Agents)
                {
                    foreach (var id in agentIds.Except(settled).ToList())
                    {
                        var view = await http.GetFromJsonAsync<DeviceView>($"/api/devices/{id}", Json);
                        if (view!.State == DeviceState.UpToDate && view.History.Any(h => h.RolloutId == rolloutId && h.Succeeded))
                        {
                            settled.Add(id);
                        }
                    }
                    Assert.True(first.Elapsed < Patience, $"only {settled.Count} of {Agents} agents updated within {Patience}");
                }
                first.KillNine();
            }
            finally
            {
                // Stopped before the restart, so no agent's hello can re-report an outcome the server lost.
                foreach (var agent in agents)
                {
                    await agent.DisposeAsync();
                }
            }
        }

        using var second = await StartSiloAsync(http);
        using var rollout = JsonDocument.Parse(await http.GetStringAsync($"/api/rollouts/{rolloutId}"));
        Assert.True(string.Equals("Running", rollout.RootElement.GetProperty("state").GetString(), StringComparison.OrdinalIgnoreCase),
            rollout.RootElement.ToString());
        var counts = rollout.RootElement.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.OrdinalIgnoreCase);
        Assert.True(counts["Succeeded"] == Agents, $"{rollout.RootElement}\n{second.Output}");
        Assert.Equal(SlowDevices, counts["Dispatched"]);
        foreach (var id in settled)
        {
            var view = await http.GetFromJsonAsync<DeviceView>($"/api/devices/{id}", Json);
            Assert.Equal(DeviceState.UpToDate, view!.State);
            Assert.Single(view.History, h => h.RolloutId == rolloutId && h.Succeeded);
        }
        second.Stop();
    }

    private static async Task UploadAsync(HttpClient http, string modelId, string file)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(GatewayTestData.ModelPath(file))), "model", file },
            { new StringContent("1"), "version" },
        };
        var upload = await http.PostAsync($"/api/models/{modelId}/versions", form);
        Assert.True(upload.IsSuccessStatusCode, $"upload: {upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
        await Eventually.Until(() => http.GetFromJsonAsync<ModelView>($"/api/models/{modelId}", Json)!,
            m => m!.Versions.Single().Status == ModelStatus.Ready, $"ladder of {file}", Patience);
    }

    private async Task<SiloProcess> StartSiloAsync(HttpClient http)
    {
        var silo = SiloProcess.Start(SiloDll(), [
            $"--urls=http://127.0.0.1:{_httpPort}",
            $"--FleetQuant:DataDirectory={_dataDirectory}",
            $"--FleetQuant:Cluster:SiloPort={_siloPort}",
            $"--FleetQuant:Cluster:GatewayPort={_gatewayPort}",
            $"--FleetQuant:Mqtt:Port={_mqttPort}",
            "--FleetQuant:Mqtt:ListenAddress=127.0.0.1",
            $"--FleetQuant:Gateway:OperatorTokens:0={Token}",
            "--FleetQuant:Compression:Parallelism=1",
            "--FleetQuant:Compression:LadderRecipes:0=fp32",
            "--FleetQuant:Compression:LadderRecipes:1=q8cs",
            "--FleetQuant:Compression:LadderMixedPrecision=false",
            "--FleetQuant:Compression:LadderEvalSamples=8",
            "--FleetQuant:Rollouts:TickPeriod=00:00:00.200",
        ]);
        await Eventually.Until(async () =>
        {
            if (silo.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {silo.ExitCode}:\n{silo.Output}");
            }
            try
            {
                return (await http.GetAsync("/health")).StatusCode;
            }
            catch (HttpRequestException)
            {
                return HttpStatusCode.ServiceUnavailable;
            }
        }, status => status == HttpStatusCode.OK, "the silo process healthy", Patience);
        return silo;
    }

    /// <summary>The all-in-one Silo built next to this test assembly (same configuration and runtime directory).</summary>
    private static string SiloDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var candidate = Path.Combine(here.Parent!.Parent!.FullName, "FleetQuant.Silo", here.Name, "FleetQuant.Silo.dll");
        return File.Exists(candidate) ? candidate : Path.Combine(AppContext.BaseDirectory, "FleetQuant.Silo.dll");
    }

    /// <summary>A <c>dotnet FleetQuant.Silo.dll</c> child process whose output is kept for failure messages.</summary>
    private sealed class SiloProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        private SiloProcess(Process process) => _process = process;

        public TimeSpan Elapsed => _clock.Elapsed;

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.Length > 4000 ? _output.ToString(_output.Length - 4000, 4000) : _output.ToString();
                }
            }
        }

        public static SiloProcess Start(string dll, IEnumerable<string> args)
        {
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(dll);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
            info.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = new Process { StartInfo = info };
            var silo = new SiloProcess(process);
            process.OutputDataReceived += (_, e) => silo.Append(e.Data);
            process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return silo;
        }

        /// <summary>SIGKILL: no host shutdown, no grain deactivation, no buffered write.</summary>
        public void KillNine()
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }

        public void Stop()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
