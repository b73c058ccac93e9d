using System.Net;
using System.Net.Http.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.DeviceAgent.Simulation;
using FleetQuant.EndToEnd.Tests.Support;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FleetQuant.EndToEnd.Tests;

/// <summary>
/// A third-party model that is not an image classifier — Silero's voice-activity detector: audio frames, an int64
/// sample rate, LSTM state in and out, weights in If branches — pushed with its input hints and an .npz evaluation set
/// written by numpy, measured, rolled out, and run by simulated devices on inputs they build from the stored hints.
/// </summary>
[Collection(FleetCollection.Name)]
[Trait("Category", "Python")]
[Trait("Category", "Corpus")]
public sealed class RecurrentModelRolloutTests(FleetHost host, ITestOutputHelper output) : IDisposable
{
    private const string ModelId = "e2e-vad";
    private const int Devices = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-vad-").FullName;

    [Fact]
    public async Task AVoiceActivityDetectorWithState_PushedWithHintsAndAnNpzSet_RollsOutAndDevicesRunIt()
    {
        var model = CorpusFiles.PathOf("silero_vad_legacy.onnx");
        var npz = Path.Combine(_dir, "vad-eval.npz");
        // The sample rate is left out of the data on purpose: the version's --input-value hint must feed it.
        DebianPython.Run($"""
            import numpy as np
            rng = np.random.default_rng(5)
            frames = (0.3 * np.sin(np.linspace(0, 400, 16 * 512)).reshape(16, 1, 512) * rng.uniform(0, 1, (16, 1, 1))).astype(np.float32)
            state = np.zeros((16, 2, 1, 64), dtype=np.float32)
            np.savez('{npz}', input=frames, h=state, c=state)
            """, _dir);

        var version = await UploadAsync(model, npz);
        var ladder = version.Ladder!;
        output.WriteLine(string.Join(", ", ladder.Rungs.Select(r => $"{r.Id} {r.Accuracy:F4} {r.WireBytes} B {r.Error}")));
        Assert.Equal("fidelity", ladder.Metric);
        Assert.Equal(16, ladder.EvalSamples);
        Assert.Equal(("constant", "int64"), ladder.Inputs!.Where(i => i.Name == "sr").Select(i => (i.Source, i.ElementType)).Single());
        Assert.All(ladder.Inputs!.Where(i => i.Name != "sr"), i => Assert.Equal("data", i.Source));
        Assert.Equal("score", ladder.Outputs!.Single(o => o.Name == "output").Kind);
        Assert.All(ladder.Rungs, r => Assert.Null(r.Error));
        Assert.Equal(16000, version.InputHints!.Values["sr"]);
        Assert.Equal([2L, 1, 64], version.InputHints.Shapes["h"]);

        var options = new SimulatorOptions
        {
            Devices = Devices,
            ProfilesPath = Path.Combine(FleetQuant.Compression.Data.SampleData.SamplesDirectory(), "profiles", "fleet-mix.json"),
            Server = host.Http.BaseAddress!,
            Token = AllInOneHost.Token,
            IdPrefix = "e2e-vad",
            InferenceInterval = TimeSpan.FromSeconds(1),
            TelemetryInterval = TimeSpan.FromSeconds(2),
        };
        // The devices' own samples are 784-value images: they do not fit this model, so its hints must.
        await using var fleet = new FleetSimulator(options, FleetQuant.Compression.Data.GeneratedInputs.Create([784], 4, seed: 3), NullLoggerFactory.Instance);
        await fleet.StartAsync(null, CancellationToken.None);
        foreach (var device in fleet.Devices)
        {
            await host.HelloSeenAsync(device.Spec.DeviceId, device.Spec.Profile.Arch!);
        }
        var ids = fleet.Devices.Select(d => d.Spec.DeviceId).ToList();

        await host.StartRolloutAsync(ModelId, "e2e-vad-v1", version.Version, ids, maxAccuracyDrop: 0.5, 100);
        var rollout = await host.RolloutCompletedAsync("e2e-vad-v1");
        Assert.Equal(RolloutState.Completed, rollout.State);

        foreach (var device in fleet.Devices)
        {
            var view = await Eventually.Until(() => host.DeviceAsync(device.Spec.DeviceId),
                v => v.State == DeviceState.UpToDate && v.Desired?.ModelId == ModelId && v.Telemetry.Inferences >= 3,
                $"{device.Spec.DeviceId} running the detector", FleetHost.Patience);
            Assert.Equal(view.Desired!.ArtifactHash, device.Runtime.CurrentArtifact);
            Assert.Equal(0, view.Telemetry.Errors);
            Assert.Equal(16000, device.Runtime.State.Current!.InputHints!.Values!["sr"]);
        }
        Assert.Equal(Devices, fleet.Summarize().UpdatesSucceeded);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<ModelVersionView> UploadAsync(string model, string npz)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(model)), "model", Path.GetFileName(model) },
            { new ByteArrayContent(await File.ReadAllBytesAsync(npz)), "evalData", Path.GetFileName(npz) },
            { new StringContent("input=1,512"), "inputShape" },
            { new StringContent("h=2,1,64"), "inputShape" },
            { new StringContent("c=2,1,64"), "inputShape" },
            { new StringContent("sr=16000"), "inputValue" },
            { new StringContent("input=-1,1"), "inputRange" },
        };
        var upload = await host.Http.PostAsync($"/api/models/{ModelId}/versions", form);
        Assert.True(upload.StatusCode == HttpStatusCode.OK, $"upload: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
        var version = (await upload.Content.ReadFromJsonAsync<ModelVersionView>(FleetHost.Json))!.Version;
        var model1 = await Eventually.Until(async () => (await host.Http.GetFromJsonAsync<ModelView>($"/api/models/{ModelId}", FleetHost.Json))!,
            m => m.Versions.Single(v => v.Version == version).Status != ModelStatus.Analysing, "ladder of the detector", FleetHost.Patience);
        var ready = model1.Versions.Single(v => v.Version == version);
        Assert.True(ready.Status == ModelStatus.Ready, ready.FailureReason);
        return ready;
    }
}
