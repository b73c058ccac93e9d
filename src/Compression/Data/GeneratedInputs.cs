using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Inputs made up when no real data is at hand, for measuring fidelity (agreement with the uncompressed model). Every
/// input of the model gets samples of its element type: floats standard normal (or uniform within
/// <c>--input-range</c>), integers uniform in [<see cref="DefaultIntegerLow"/>, <see cref="DefaultIntegerHigh"/>]
/// (or the range), bools fair coins, and an input with <c>--input-value</c> the constant. The same seed always gives the
/// same values.
/// </summary>
public static class GeneratedInputs
{
    /// <summary>Caps the values generated (64 Mi, 256 MB of floats) so a mistyped count cannot exhaust memory.</summary>
    public const long MaxValues = SampleArray.MaxElements;

    /// <summary>Integer inputs without a range: small non-negative values, valid as indices and counts for most models.</summary>
    public const int DefaultIntegerLow = 0;

    public const int DefaultIntegerHigh = 9;

    /// <summary>Seed of generated calibration data: disjoint from the evaluation draw (seed 1), which it must never see.</summary>
    public const int CalibrationSeed = 2;

    /// <summary>Samples given to steps that calibrate when no calibration set was given.</summary>
    public const int CalibrationSamples = 256;

    /// <summary>
    /// Generated calibration data for <paramref name="model"/> (seed <see cref="CalibrationSeed"/>), or null when its
    /// inputs cannot be generated (a string input, a dimension no hint fixes): steps that calibrate then say so.
    /// </summary>
    public static EvalSet? ForCalibration(byte[] model, InputHints hints)
    {
        try
        {
            return ForModel(model, hints, CalibrationSamples, CalibrationSeed);
        }
        catch (OnnxModelException)
        {
            return null;
        }
    }

    /// <summary>Float samples for a model's first input of a fully known shape (the sample MLP and image models).</summary>
    public static EvalSet Create(long[] sampleShape, int count, int seed)
    {
        if (sampleShape.Length == 0 || sampleShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"sample shape [{string.Join(",", sampleShape)}] must have positive dimensions (no batch or symbolic dimension)", nameof(sampleShape));
        }
        return new EvalSet([Fill(null, DataType.Float, sampleShape, count, null, null, new Random(seed))], labels: null);
    }

    /// <summary>Samples for every input of <paramref name="model"/> (ONNX bytes), carrying <paramref name="hints"/>.</summary>
    public static EvalSet ForModel(byte[] model, InputHints hints, int count, int seed)
    {
        // Only the declared inputs are read: no graph optimization, so a large model opens quickly.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = ModelEvaluator.Open(model, options);
        return ForModel(session.InputMetadata, hints, count, seed).WithHints(hints);
    }

    /// <summary>Samples for every input of a loaded model, shaped by its declared dimensions and <paramref name="hints"/>.</summary>
    public static EvalSet ForModel(IReadOnlyDictionary<string, NodeMetadata> inputs, InputHints hints, int count, int seed)
    {
        if (inputs.Count == 0)
        {
            throw new OnnxModelException("the model has no inputs to feed");
        }
        var arrays = inputs.Select((input, index) => Generate(input.Key, input.Value, hints, count, index == 0 ? seed : seed + (1_000_003 * index))).ToList();
        return new EvalSet(arrays, labels: null);
    }

    /// <summary>Samples for one input: its <c>--input-value</c> constant when it has one, else generated values.</summary>
    public static SampleArray ForInput(string name, NodeMetadata meta, InputHints hints, int count, int seed) => Generate(name, meta, hints, count, seed);

    /// <summary>
    /// The shape of one generated sample: the shape hint when given (a whole run, checked against the declared
    /// dimensions), else the declared shape, whose symbolic first dimension becomes the batch axis samples stack along.
    /// Any other unknown dimension is an error naming the input and the flag that fixes it.
    /// </summary>
    public static long[] SampleShape(string name, NodeMetadata meta, InputHints hints)
    {
        var dims = meta.Dimensions;
        if (hints.Shapes.TryGetValue(name, out var hinted))
        {
            if (hinted.Length != dims.Length || dims.Zip(hinted).Any(p => p.First > 0 && p.First != p.Second))
            {
                throw new OnnxModelException($"--input-shape {name}=[{string.Join(",", hinted)}] does not fit input '{name}', declared {ModelFeeds.Describe(meta)}");
            }
            return hinted;
        }
        var start = dims.Length > 0 && dims[0] <= 0 ? 1 : 0;
        var unknown = Enumerable.Range(start, dims.Length - start).Where(i => dims[i] <= 0).ToList();
        if (unknown.Count > 0)
        {
            throw new OnnxModelException($"input '{name}' is {ModelFeeds.Describe(meta)} and dimension {unknown[0]} is unknown; give its shape with --input-shape {name}={string.Join(",", dims.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : i == 0 ? "1" : "D" + i))}");
        }
        return dims.Skip(start).Select(d => (long)d).ToArray();
    }

    private static SampleArray Generate(string name, NodeMetadata meta, InputHints hints, int count, int seed)
    {
        if (!meta.IsTensor)
        {
            throw new OnnxModelException($"input '{name}' is not a tensor ({meta.OnnxValueType}); inputs can be generated only for tensors");
        }
        var type = (DataType)(int)meta.ElementDataType;
        if (!ElementTypes.IsSupported(type) || type == DataType.String)
        {
            throw new OnnxModelException($"input '{name}' takes {ElementTypes.Name(type)} values, which cannot be generated; pass --data");
        }
        double? constant = hints.Values.TryGetValue(name, out var value) ? value : null;
        return Fill(name, type, SampleShape(name, meta, hints), count, constant, hints.Ranges.GetValueOrDefault(name), new Random(seed));
    }

    private static SampleArray Fill(string? name, DataType type, long[] sampleShape, int count, double? constant, ValueRange? range, Random random)
    {
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "at least one sample is needed");
        }
        var sampleSize = sampleShape.Aggregate(1L, (a, d) => a > MaxValues ? a : a * d);
        if (sampleSize > MaxValues || sampleSize * count > MaxValues)
        {
            throw new ArgumentException($"{count} samples of [{string.Join(",", sampleShape)}] exceed the {MaxValues}-value limit for generated inputs");
        }

        var values = ElementTypes.NewArray(type, sampleSize * count);
        for (var i = 0L; i < values.LongLength; i++)
        {
            ElementTypes.Set(type, values, i, constant ?? Draw(type, range, random));
        }
        return new SampleArray(name, type, sampleShape, values);
    }

    private static double Draw(DataType type, ValueRange? range, Random random)
    {
        if (type == DataType.Bool)
        {
            return random.Next(2);
        }
        if (ElementTypes.IsInteger(type))
        {
            var low = (long)Math.Ceiling(range?.Low ?? DefaultIntegerLow);
            var high = (long)Math.Floor(range?.High ?? DefaultIntegerHigh);
            return high < low ? low : random.NextInt64(low, high + 1);
        }
        return range is { } r ? r.Low + (random.NextDouble() * (r.High - r.Low)) : StandardNormal(random);
    }

    /// <summary>Box–Muller; computed by hand so the values do not depend on a library's sampler.</summary>
    private static double StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
