using BenchmarkDotNet.Attributes;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Benchmarks;

/// <summary>
/// Per-layer sensitivity of the committed sample MLP (q2b32a and q8cs per layer, each run in ONNX Runtime) on the
/// committed 1,000-image evaluation subset.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class SensitivityBenchmarks
{
    private ModelProto _model = new();
    private EvalSet _set = null!;
    private readonly ModelEvaluator _evaluator = new();

    [GlobalSetup]
    public void Setup()
    {
        _model = OnnxModelFile.Load(SampleData.ModelPath(SampleData.FashionMlpV1));
        _set = EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]);
    }

    [Benchmark]
    public int SensitivityOnSampleMlp()
    {
        var settings = new[] { SensitivitySetting.Quantize(Recipe.ParseStep("q2b32a")), SensitivitySetting.Quantize(Recipe.ParseStep("q8cs")) };
        return new SensitivityAnalyzer(_evaluator).Analyze(_model, _set, settings).Layers.Count;
    }
}
