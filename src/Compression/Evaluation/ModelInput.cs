using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// How samples feed a model's first input: its name, the shape of one sample, and how many samples one run
/// takes (any number when the batch axis is symbolic, a fixed number when it is not, one when there is none).
/// </summary>
public sealed record ModelInput(string Name, long[] SampleShape, bool HasBatchAxis, int FixedBatch)
{
    /// <summary>Samples one run may take, given the batch size the caller would like.</summary>
    public int BatchFor(int wanted) => !HasBatchAxis ? 1 : FixedBatch > 0 ? FixedBatch : Math.Max(1, wanted);

    /// <summary>Tensor shape of a run with <paramref name="batch"/> samples.</summary>
    public long[] RunShape(int batch) => HasBatchAxis ? [batch, .. SampleShape] : SampleShape;

    /// <summary>The input layout of a loaded session; the sample shape comes from the model (symbolic dims are not allowed).</summary>
    public static ModelInput Of(InferenceSession session) => Of(session, null);

    /// <summary>
    /// The input layout for feeding <paramref name="set"/>: a set whose samples have one dimension fewer than the
    /// input goes in batches; one with the input's full rank goes one sample per run.
    /// </summary>
    public static ModelInput Of(InferenceSession session, EvalSet? set)
    {
        var (name, meta) = FirstInput(session);
        var dims = meta.Dimensions;
        if (set is null)
        {
            if (dims.Length < 2 || dims.Skip(1).Any(d => d <= 0))
            {
                throw new OnnxModelException($"input '{name}' has shape [{Describe(dims)}]; give an evaluation set, since samples cannot be generated for symbolic dimensions");
            }
            return new ModelInput(name, dims.Skip(1).Select(d => (long)d).ToArray(), true, dims[0] > 0 ? dims[0] : 0);
        }

        if (set.SampleShape.Length == dims.Length - 1 && Matches(dims.Skip(1), set.SampleShape))
        {
            return new ModelInput(name, set.SampleShape, true, dims[0] > 0 ? dims[0] : 0);
        }
        if (set.SampleShape.Length == dims.Length && Matches(dims, set.SampleShape))
        {
            return new ModelInput(name, set.SampleShape, false, 1);
        }
        throw new OnnxModelException($"evaluation samples are [{string.Join(",", set.SampleShape)}] but model input '{name}' is [{Describe(dims)}]");
    }

    private static (string Name, NodeMetadata Meta) FirstInput(InferenceSession session)
    {
        if (session.InputMetadata.Count == 0)
        {
            throw new OnnxModelException("the model has no inputs to feed");
        }
        var (name, meta) = session.InputMetadata.First();
        if (!meta.IsTensor || meta.ElementType != typeof(float))
        {
            throw new OnnxModelException($"input '{name}' is {meta.ElementDataType}; evaluation feeds FLOAT tensors only");
        }
        if (session.InputMetadata.Count > 1)
        {
            throw new OnnxModelException($"the model has {session.InputMetadata.Count} inputs; evaluation feeds models with one input");
        }
        return (name, meta);
    }

    private static bool Matches(IEnumerable<int> modelDims, long[] sampleShape) =>
        modelDims.Zip(sampleShape).All(p => p.First <= 0 || p.First == p.Second);

    private static string Describe(int[] dims) => string.Join(",", dims.Select(d => d <= 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
