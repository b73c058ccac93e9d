using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent.Inference;
using FleetQuant.Protocol.Manifests;
using FleetQuant.TestSupport;

namespace FleetQuant.DeviceAgent.Tests;

/// <summary>
/// The device's workload per model: its own samples when they fit the model's inputs, else inputs generated from the
/// manifest's hints — shown on a real voice-activity detector (audio frames, an int64 sample rate, LSTM state).
/// </summary>
[Trait("Category", "Corpus")]
public sealed class ModelRunnerTests
{
    private static readonly ModelInputHints VadHints = new()
    {
        Shapes = new Dictionary<string, long[]> { ["input"] = [1, 512], ["h"] = [2, 1, 64], ["c"] = [2, 1, 64] },
        Values = new Dictionary<string, double> { ["sr"] = 16000 },
        Ranges = new Dictionary<string, double[]> { ["input"] = [-1, 1] },
    };

    private static readonly byte[] Vad = File.ReadAllBytes(CorpusFiles.PathOf("silero_vad_legacy.onnx"));

    [Fact]
    public void AModelTheDeviceSamplesDoNotFit_RunsOnInputsFromItsHints()
    {
        using var runner = new ModelRunner(GeneratedInputs.Create([784], 4, seed: 1));

        runner.Swap(ModelRunner.Load(Vad), "vad", VadHints);
        var (confidence, latency) = runner.Infer(3);

        Assert.Null(runner.WorkloadProblem);
        Assert.InRange(confidence, 0.5, 1.0);
        Assert.True(latency > 0);
    }

    [Fact]
    public void WithoutHints_TheModelStillSwapsIn_AndInferenceSaysWhy()
    {
        using var runner = new ModelRunner(GeneratedInputs.Create([784], 4, seed: 1));

        runner.Swap(ModelRunner.Load(Vad), "vad", hints: null);

        Assert.Equal("vad", runner.ArtifactSha256);
        Assert.Contains("--input-shape input=1,D1", runner.WorkloadProblem);
        var error = Assert.Throws<InvalidOperationException>(() => runner.Infer(0));
        Assert.Contains("no inputs for this model", error.Message);
    }

    [Theory]
    [InlineData(1L << 30)]
    [InlineData(-1L)]
    public void HintsTooLargeOrInvalid_AreAProblemNotACrash(long dimension)
    {
        using var runner = new ModelRunner(GeneratedInputs.Create([784], 4, seed: 1));
        var hostile = VadHints with { Shapes = new Dictionary<string, long[]> { ["input"] = [1, dimension], ["h"] = [2, 1, 64], ["c"] = [2, 1, 64] } };

        runner.Swap(ModelRunner.Load(Vad), "vad", hostile);

        Assert.NotNull(runner.WorkloadProblem);
        Assert.Throws<InvalidOperationException>(() => runner.Infer(0));
    }
}
