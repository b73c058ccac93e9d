using FleetQuant.Compression.Data;
using FleetQuant.Compression.Onnx;
using FleetQuant.Protocol.Manifests;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// The smoke test a manifest carries: one generated input for every model input (shaped by the version's hints) and the
/// first output the server's decoded model gives on it. The device runs the same input through the model it decoded.
/// </summary>
public static class SmokeTests
{
    /// <summary>Allowed max absolute error, relative to the largest expected magnitude (at least 1e-3 absolute).</summary>
    public const double RelativeTolerance = 1e-3;

    /// <summary>
    /// Bytes of input a smoke test may carry: it rides in every manifest, base64 (4/3 larger), and a manifest message is
    /// at most <see cref="FleetQuant.Protocol.Messages.ProtocolJson.MaxMessageBytes"/> (256 KiB) — so 128 KiB of input.
    /// </summary>
    public const int MaxInputBytes = 128 * 1024;

    public static SmokeTest Build(InferenceSession session, InputHints hints, int seed)
    {
        var set = GeneratedInputs.ForModel(session.InputMetadata, hints, 1, seed).WithHints(hints);
        var feeds = ModelFeeds.Bind(session, set, hints);
        var inputs = new List<SmokeTestInput>(set.Inputs.Count);
        var inputBytes = 0L;
        foreach (var input in set.Inputs)
        {
            var bytes = ElementTypes.ToBytes(input.Values);
            inputBytes += bytes.Length;
            inputs.Add(new SmokeTestInput
            {
                Name = input.Name!,
                ElementType = ElementTypes.Name(input.ElementType),
                Shape = feeds.Stacked ? [1, .. input.SampleShape] : input.SampleShape,
                Data = Convert.ToBase64String(bytes),
            });
        }
        if (inputBytes > MaxInputBytes)
        {
            throw new OnnxModelException($"the smoke-test input would take {inputBytes} bytes, more than the {MaxInputBytes} a manifest may carry");
        }
        var output = FirstOutput(session, feeds);
        var scale = output.Length == 0 ? 1 : Math.Max(1, output.Max(v => Math.Abs(v)));
        return new SmokeTest
        {
            Inputs = inputs,
            ExpectedOutput = Convert.ToBase64String(ElementTypes.ToBytes(output)),
            Tolerance = RelativeTolerance * scale,
        };
    }

    /// <summary>Runs the test's input and compares with its expected output; throws <see cref="InvalidDataException"/> saying why it fails.</summary>
    public static void Check(InferenceSession session, SmokeTest test)
    {
        var set = ToEvalSet(test);
        var expected = (float[])ElementTypes.FromBytes(TensorProto.Types.DataType.Float, Decode(test.ExpectedOutput, "expected output"));
        float[] actual;
        try
        {
            actual = FirstOutput(session, ModelFeeds.Bind(session, set));
        }
        catch (OnnxModelException ex)
        {
            throw new InvalidDataException($"smoke test: {ex.Message}", ex);
        }
        if (actual.Length != expected.Length)
        {
            throw new InvalidDataException($"smoke test: model gives {actual.Length} outputs, expected {expected.Length}");
        }
        var worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).DefaultIfEmpty(0).Max();
        if (!(worst <= test.Tolerance))
        {
            throw new InvalidDataException($"smoke test: max abs error {worst:G4} exceeds {test.Tolerance:G4}");
        }
    }

    /// <summary>The test's inputs as a one-sample set of whole-run tensors, every size checked before allocating.</summary>
    public static EvalSet ToEvalSet(SmokeTest test)
    {
        if (test.Inputs is not { Count: > 0 } inputs || inputs.Count > InputHints.MaxHints)
        {
            throw new InvalidDataException($"smoke test: needs 1 to {InputHints.MaxHints} inputs");
        }
        var arrays = new List<SampleArray>(inputs.Count);
        long total = 0;
        foreach (var input in inputs)
        {
            var type = ElementTypes.Parse(input.ElementType ?? "") is { } t && t != TensorProto.Types.DataType.String
                ? t
                : throw new InvalidDataException($"smoke test: input '{input.Name}' has element type '{input.ElementType}'");
            if (input.Shape is null || input.Shape.Length > 8 || input.Shape.Any(d => d is < 0 or > MaxInputBytes))
            {
                throw new InvalidDataException($"smoke test: input '{input.Name}' has a bad shape");
            }
            total += (input.Data?.Length ?? 0) * 3L / 4;
            if (total > MaxInputBytes)
            {
                throw new InvalidDataException($"smoke test: inputs exceed {MaxInputBytes} bytes");
            }
            var values = ElementTypes.FromBytes(type, Decode(input.Data ?? "", $"input '{input.Name}'"));
            if (values.LongLength != input.Shape.Aggregate(1L, (a, d) => a * d))
            {
                throw new InvalidDataException($"smoke test: input '{input.Name}' holds {values.LongLength} values for shape [{string.Join(",", input.Shape)}]");
            }
            arrays.Add(new SampleArray(input.Name, type, input.Shape, values));
        }
        return new EvalSet(arrays);
    }

    private static float[] FirstOutput(InferenceSession session, ModelFeeds feeds)
    {
        using var outputs = feeds.Run(session, 0, 1, [feeds.OutputNames[0]]);
        var value = outputs[0];
        return value.GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float
            ? value.GetTensorDataAsSpan<float>().ToArray()
            : throw new OnnxModelException($"output '{feeds.OutputNames[0]}' is not float; smoke tests compare float outputs");
    }

    private static byte[] Decode(string base64, string what)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"smoke test: {what} is not base64", ex);
        }
    }
}
