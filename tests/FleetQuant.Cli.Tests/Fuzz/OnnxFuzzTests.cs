using System.Diagnostics;
using System.Security.Cryptography;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using FleetQuant.TestSupport;
using Google.Protobuf;

namespace FleetQuant.Cli.Tests.Fuzz;

/// <summary>
/// Mutated ONNX protobufs through the library paths of <c>inspect</c> (parse + summary) and <c>ladder</c> (generated
/// samples, two recipes): only the typed errors the CLI prints as one line, no hang, no retained memory. A case about
/// to enter ONNX Runtime is first written to <see cref="CurrentCasePath"/>, so a native crash leaves its repro behind.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(nameof(FuzzCollection))]
public sealed class OnnxFuzzTests
{
    private static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(30);
    private static readonly string ReproDirectory = Path.Combine(Path.GetTempPath(), "fq-onnx-fuzz");
    private static readonly string CurrentCasePath = Path.Combine(ReproDirectory, "current-case.onnx");

    [Fact]
    public async Task Inspect_MutatedModels_ParseOrFailWithTypedErrors()
    {
        var cases = FuzzRun.Cases(3000);
        var seed = TinyMlp().ToByteArray();
        var seedPath = SaveSeed(seed);
        var mutator = new PayloadMutator(20261204);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var heapBefore = FuzzRun.CollectedHeapBytes();

        for (var i = 0; i < cases; i++)
        {
            var (mutation, bytes) = mutator.MutateBytes(seed);
            var label = Label("inspect", i, mutation, bytes);
            var outcome = await FuzzRun.WithDeadline(() => Task.FromResult(Typed(label, bytes, () =>
            {
                ModelSummary.Of(seedPath, OnnxModelFile.Parse(bytes));
                return "summarised";
            })), CaseDeadline, label);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        FuzzRun.AssertBoundedMemory(heapBefore, "inspect fuzz");
        Assert.True(outcomes.GetValueOrDefault(nameof(OnnxModelException)) > 0, string.Join(", ", outcomes));
        Console.WriteLine(FuzzRun.Summary("inspect", cases, clock, outcomes));
    }

    /// <summary>Each case opens several ONNX Runtime sessions, so it runs a tenth of the inspect count.</summary>
    [Fact]
    public async Task Ladder_MutatedModels_BuildOrFailWithTypedErrors()
    {
        var cases = Math.Max(1, FuzzRun.Cases(3000) / 10);
        var seed = TinyMlp().ToByteArray();
        var mutator = new PayloadMutator(20261205);
        var builder = new LadderBuilder(new ModelEvaluator(new EvaluatorOptions { LatencyRuns = 1, BatchSize = 4 }));
        var options = new LadderOptions { RecipeIds = ["fp32", "q8cs"], IncludeMixedPrecision = false, CalibrationSamples = 4 };
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var heapBefore = FuzzRun.CollectedHeapBytes();
        Directory.CreateDirectory(ReproDirectory);

        for (var i = 0; i < cases; i++)
        {
            var (mutation, bytes) = mutator.MutateBytes(seed);
            var label = Label("ladder", i, mutation, bytes);
            File.WriteAllBytes(CurrentCasePath, bytes);
            var outcome = await FuzzRun.WithDeadline(() => Task.FromResult(Typed(label, bytes, () =>
            {
                var model = OnnxModelFile.Parse(bytes);
                var set = EvalSets.Generate(model, 4, InputHints.None);
                var ladder = builder.Build(model, set, options);
                return ladder.Recipes.All(r => r.Failed) ? "recipes failed" : "built";
            })), CaseDeadline, label);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        File.Delete(CurrentCasePath);
        FuzzRun.AssertBoundedMemory(heapBefore, "ladder fuzz");
        Console.WriteLine(FuzzRun.Summary("ladder", cases, clock, outcomes));
    }

    /// <summary>The case's outcome, or a failure that saves the mutated model when it throws an untyped exception.</summary>
    private static string Typed(string label, byte[] bytes, Func<string> run)
    {
        try
        {
            return run();
        }
        catch (Exception ex) when (ex is OnnxModelException or InvalidDataException or ArgumentException)
        {
            return ex.GetType().Name;
        }
        catch (Exception ex)
        {
            Directory.CreateDirectory(ReproDirectory);
            var repro = Path.Combine(ReproDirectory, $"{Convert.ToHexStringLower(SHA256.HashData(bytes))}.onnx");
            File.WriteAllBytes(repro, bytes);
            throw new Xunit.Sdk.XunitException($"{label}: {ex.GetType().Name}: {ex.Message} (repro {repro})\n{ex.StackTrace}");
        }
    }

    private static string Label(string verb, int i, string mutation, byte[] bytes) =>
        $"{verb} case {i} ({mutation}, sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]})";

    private static string SaveSeed(byte[] seed)
    {
        Directory.CreateDirectory(ReproDirectory);
        var path = Path.Combine(ReproDirectory, "seed-tiny-mlp.onnx");
        File.WriteAllBytes(path, seed);
        return path;
    }

    /// <summary>x[-1,8] → MatMul(8x4) → Add → Relu → MatMul(4x3) → Softmax: a few hundred bytes, so most mutations hit structure.</summary>
    private static ModelProto TinyMlp()
    {
        var random = new Random(7);
        var g = new GraphProto { Name = "tiny" };
        g.Input.Add(FloatValue("x", -1, 8));
        g.Output.Add(FloatValue("p", -1, 3));
        g.Initializer.Add(Weights(random, "w1", 8, 4));
        g.Initializer.Add(Weights(random, "b1", 4));
        g.Initializer.Add(Weights(random, "w2", 4, 3));
        g.Node.Add(Node("MatMul", ["x", "w1"], "h"));
        g.Node.Add(Node("Add", ["h", "b1"], "hb"));
        g.Node.Add(Node("Relu", ["hb"], "a"));
        g.Node.Add(Node("MatMul", ["a", "w2"], "logits"));
        var softmax = Node("Softmax", ["logits"], "p");
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.Add(softmax);
        var model = new ModelProto { IrVersion = 8, ProducerName = "fuzz", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static TensorProto Weights(Random random, string name, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() - 0.5)));
        return tensor;
    }

    private static ValueInfoProto FloatValue(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
