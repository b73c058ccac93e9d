using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// Measures the memory ONNX Runtime holds for a model once it is loaded and has run one sample: the native heap
/// grown by the open session (see <see cref="ProcessMemory"/>). The heap is process-wide, so measurements are
/// serialised and ONNX Runtime's one-off process setup is paid beforehand.
/// </summary>
internal static class RuntimeMemoryMeter
{
    private static readonly Lock Gate = new();
    private static bool _warmedUp;

    public static long Measure(byte[] model, EvalSet set, int repeats)
    {
        lock (Gate)
        {
            WarmUp();
            var samples = new double[Math.Max(1, repeats)];
            for (var i = 0; i < samples.Length; i++)
            {
                samples[i] = MeasureOnce(model, set);
            }
            return (long)ModelEvaluator.Median(samples);
        }
    }

    private static long MeasureOnce(byte[] model, EvalSet set)
    {
        using var options = Options();
        var values = ModelEvaluator.OneRun(set, FirstRunInput(model, set));
        SettleManagedHeap();
        var before = ProcessMemory.NativeBytes();
        using var session = ModelEvaluator.Open(model, options);
        RunOnce(session, set, values);
        return Math.Max(0, ProcessMemory.NativeBytes() - before);
    }

    private static void RunOnce(InferenceSession session, EvalSet set, float[] values)
    {
        var input = ModelInput.Of(session, set);
        using var value = OrtValue.CreateTensorValueFromMemory(values, input.RunShape(input.BatchFor(1)));
        using var _ = ModelEvaluator.Run(session, input.Name, value, ModelEvaluator.FirstOutputName(session));
    }

    /// <summary>The input layout, read from a throw-away session so the measured one starts from nothing.</summary>
    private static ModelInput FirstRunInput(byte[] model, EvalSet set)
    {
        using var options = Options();
        using var session = ModelEvaluator.Open(model, options);
        return ModelInput.Of(session, set);
    }

    private static SessionOptions Options()
    {
        var options = ModelEvaluator.SingleThreaded();
        // The arena would keep a growing pool around; with it off the numbers reflect what the model needs.
        options.EnableCpuMemArena = false;
        return options;
    }

    /// <summary>Finalizes sessions and values dropped earlier so their native memory is freed before the baseline.</summary>
    private static void SettleManagedHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Loads the native library and its global state once on a tiny model, so no measurement pays for it.</summary>
    private static void WarmUp()
    {
        if (_warmedUp)
        {
            return;
        }
        using var options = Options();
        using (var session = ModelEvaluator.Open(WarmUpModel.Bytes, options))
        {
            var input = new float[4];
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 4]);
            using var _ = ModelEvaluator.Run(session, "x", value, "y");
        }
        _warmedUp = true;
    }
}
