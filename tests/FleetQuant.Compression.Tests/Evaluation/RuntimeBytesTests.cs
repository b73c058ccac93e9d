using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Evaluation;

/// <summary>Runtime bytes are a process-wide measurement, so these tests run alone.</summary>
[CollectionDefinition(nameof(RuntimeMemoryCollection), DisableParallelization = true)]
public sealed class RuntimeMemoryCollection;

[Collection(nameof(RuntimeMemoryCollection))]
public sealed class RuntimeBytesTests
{
    [Fact]
    public void RuntimeBytes_LargerModel_ExceedsSmallerModel()
    {
        var evaluator = new ModelEvaluator();
        var inputs = GeneratedInputs.Create([784], 1, seed: 1);
        var small = OnnxModelFile.Serialize(TestModels.Mlp());
        var large = OnnxModelFile.Serialize(WideMlp(4096));

        var smallBytes = evaluator.RuntimeBytes(small, inputs);
        var largeBytes = evaluator.RuntimeBytes(large, inputs);

        // The wide layer alone is 784 x 4096 floats (12.8 MB); ONNX Runtime must hold at least that.
        Assert.True(largeBytes > 784L * 4096 * 4, $"large model measured {largeBytes} bytes");
        Assert.True(largeBytes > smallBytes + 784L * 4096 * 4 / 2, $"large {largeBytes} vs small {smallBytes}");
    }

    [Fact]
    public void RuntimeBytes_RepeatedWithManagedGarbageBetween_StaysAtTheWeightSize()
    {
        // The old peak-RSS measure read 0.4–39 MB for this model in a busy process: the GC gave pages back while
        // it measured and freed native pages were reused. The number must not depend on what the process did before.
        // Measured as the ladder measures (median of the default repeats): one load alone can catch the runtime
        // compiling hot code to tier 1 in the background, about 2 MB of native code (seen twice in CI).
        var evaluator = new ModelEvaluator();
        var inputs = GeneratedInputs.Create([784], 1, seed: 1);
        var large = OnnxModelFile.Serialize(WideMlp(4096));
        var weightBytes = 784L * 4096 * 4;

        var measured = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            measured.Add(evaluator.RuntimeBytes(large, inputs));
            MakeManagedGarbage(64 << 20);
        }

        Assert.All(measured, bytes => Assert.InRange(bytes, weightBytes, weightBytes * 3));
        Assert.True(measured.Max() - measured.Min() < weightBytes / 10, $"measurements spread: {string.Join(", ", measured)}");
    }

    [Fact]
    public async Task RuntimeBytes_WhileAnotherThreadEvaluates_IsNotMovedByItsSessions()
    {
        // Another thread opening and dropping 13 MB sessions would add or remove whole models from the heap mid-measure.
        var evaluator = new ModelEvaluator(new EvaluatorOptions { MemoryRepeats = 1 });
        var inputs = GeneratedInputs.Create([784], 1, seed: 1);
        var large = OnnxModelFile.Serialize(WideMlp(4096));
        var small = OnnxModelFile.Serialize(TestModels.Mlp());
        using var stop = new CancellationTokenSource();
        var evaluations = 0;
        var busy = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                evaluator.Outputs(large, inputs);
                Interlocked.Increment(ref evaluations);
            }
        });

        // On a loaded machine the other thread's first 13 MB session can take longer than twenty measurements: start
        // measuring once it runs, and go on until it has evaluated during the measurements too (both with deadlines).
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref evaluations) > 0, TimeSpan.FromMinutes(1)), "the other thread never evaluated");
        var before = Volatile.Read(ref evaluations);
        var measured = new List<long>();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (measured.Count < 20 || (Volatile.Read(ref evaluations) == before && deadline.Elapsed < TimeSpan.FromMinutes(1)))
        {
            measured.Add(evaluator.RuntimeBytes(small, inputs));
        }
        await stop.CancelAsync();
        await busy;

        Assert.True(Volatile.Read(ref evaluations) > before, "the other thread never evaluated while measurements ran");
        Assert.All(measured, bytes => Assert.InRange(bytes, 1, 784L * 4096 * 4 / 4));
    }

    private static void MakeManagedGarbage(int bytes)
    {
        var chunks = new List<byte[]>();
        for (var total = 0; total < bytes; total += 1 << 20)
        {
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)1);
            chunks.Add(chunk);
        }
        GC.KeepAlive(chunks);
    }

    private static ModelProto WideMlp(int width)
    {
        var random = new Random(9);
        var g = new GraphProto { Name = "wide" };
        g.Input.Add(TestModels.FloatInput("input", -1, 784));
        g.Output.Add(TestModels.FloatInput("logits", -1, 10));
        g.Initializer.Add(TestModels.Weights(random, "fc1.weight", 784, width));
        g.Initializer.Add(TestModels.Weights(random, "fc2.weight", width, 10));
        g.Node.Add(TestModels.Node("MatMul", ["input", "fc1.weight"], ["h"]));
        g.Node.Add(TestModels.Node("Relu", ["h"], ["a"]));
        g.Node.Add(TestModels.Node("MatMul", ["a", "fc2.weight"], ["logits"]));
        return TestModels.Model(g, 13);
    }
}
