using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// Measures the memory ONNX Runtime holds for a model once it is loaded and has run one sample: the native heap
/// grown by the open session (see <see cref="ProcessMemory"/>). The heap is process-wide, so a measurement runs alone:
/// the evaluator's other sessions wait for it (<see cref="Share"/>), and ONNX Runtime's one-off process setup is paid
/// beforehand. Other native work in the process (a database, the runtime's JIT) can still move the number a little.
/// </summary>
internal static class RuntimeMemoryMeter
{
    private static readonly ReaderWriterLockSlim Activity = new();
    private static bool _warmedUp;

    /// <summary>Marks ONNX Runtime work that must not overlap a measurement; dispose to end it.</summary>
    public static SharedUse Share()
    {
        Activity.EnterReadLock();
        return new SharedUse();
    }

    public static long Measure(byte[] model, EvalSet set, int repeats)
    {
        Activity.EnterWriteLock();
        try
        {
            WarmUp(model, set);
            var wanted = Math.Max(1, repeats);
            var samples = new List<double>(wanted);
            // A session always holds something; a sample at or below zero means other native work freed memory meanwhile.
            for (var attempt = 0; attempt < 3 * wanted && samples.Count < wanted; attempt++)
            {
                if (MeasureOnce(model, set) is var bytes and > 0)
                {
                    samples.Add(bytes);
                }
            }
            return samples.Count > 0
                ? (long)ModelEvaluator.Median([.. samples])
                : throw new InvalidOperationException("runtime memory could not be measured: other native work in the process kept freeing memory during every attempt");
        }
        finally
        {
            Activity.ExitWriteLock();
        }
    }

    /// <summary>Held while ONNX Runtime work that is not itself a measurement runs.</summary>
    public readonly struct SharedUse : IDisposable
    {
        public void Dispose() => Activity.ExitReadLock();
    }

    private static long MeasureOnce(byte[] model, EvalSet set)
    {
        using var options = Options();
        var one = set.Take(1);
        SettleManagedHeap();
        var before = ProcessMemory.NativeBytes();
        using var session = ModelEvaluator.Open(model, options);
        using var _ = ModelFeeds.Bind(session, one, one.Hints).Run(session, 0, 1);
        return ProcessMemory.NativeBytes() - before;
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
    private static void WarmUp(byte[] model, EvalSet set)
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
            using var runOptions = new RunOptions();
            using var _ = session.Run(runOptions, ["x"], [value], ["y"]);
        }
        // Once more through the measuring path itself, uncounted: the first pass JIT-compiles the feed binding and
        // run code, and that native code would otherwise land in the first model's number (about 2 MB, seen in CI).
        MeasureOnce(model, set);
        _warmedUp = true;
    }
}
