using System.Runtime.InteropServices;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// How an evaluation set feeds every input of a loaded session. Each input takes the set's array of its name (an
/// unnamed array feeds the first input), or a constant from <c>--input-value</c>. An array whose samples have one
/// dimension fewer than the input stacks along the input's first axis (a batch); one with the input's full rank is one
/// whole run per sample. Runs take several samples only when every input stacks and every output's first axis is the
/// same batch axis, so outputs split per sample without guessing.
/// </summary>
public sealed class ModelFeeds
{
    private readonly Feed[] _feeds;

    private ModelFeeds(Feed[] feeds, string[] outputNames, int batch, bool stacked)
    {
        _feeds = feeds;
        OutputNames = outputNames;
        Batch = batch;
        Stacked = stacked;
    }

    public IReadOnlyList<string> InputNames => _feeds.Select(f => f.Name).ToArray();

    /// <summary>What feeds each input: its samples (from the set, or a constant the hints gave), and whether the set held them.</summary>
    public IReadOnlyList<(string Name, SampleArray Samples, bool FromSet)> Inputs => _feeds.Select(f => (f.Name, f.Array, f.FromSet)).ToArray();

    /// <summary>Every tensor output of the model, in declaration order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Samples one run takes (1 unless every input stacks).</summary>
    public int Batch { get; }

    /// <summary>Whether samples stack along a batch axis (outputs then hold one row per sample).</summary>
    public bool Stacked { get; }

    public static ModelFeeds Bind(InferenceSession session, EvalSet set, InputHints? hints = null, int wantedBatch = 1)
    {
        hints ??= InputHints.None;
        var inputs = session.InputMetadata.ToList();
        if (inputs.Count == 0)
        {
            throw new OnnxModelException("the model has no inputs to feed");
        }
        var known = inputs.Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var array in set.Inputs.Where(a => a.Name is not null && !known.Contains(a.Name)))
        {
            throw new OnnxModelException($"{Where(set)}gives '{array.Name}', which is not an input of the model (its inputs: {string.Join(", ", known)})");
        }

        var feeds = new Feed[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var (name, meta) = inputs[i];
            var array = set.Inputs.FirstOrDefault(a => a.Name == name) ?? (i == 0 ? set.Inputs.FirstOrDefault(a => a.Name is null) : null);
            var fromSet = array is not null;
            if (array is null)
            {
                if (!hints.Values.ContainsKey(name))
                {
                    throw new OnnxModelException($"{Where(set)}has nothing for input '{name}' ({Describe(meta)}); add it to the data or give --input-value {name}=V");
                }
                array = GeneratedInputs.ForInput(name, meta, hints, set.Count, seed: 0);
            }
            feeds[i] = Feed.Of(name, meta, array, set) with { FromSet = fromSet };
        }

        var outputs = session.OutputMetadata.Where(o => o.Value.IsTensor).ToList();
        if (outputs.Count == 0)
        {
            throw new OnnxModelException("the model has no tensor outputs to compare");
        }
        var stacked = feeds.All(f => f.Stacks) && outputs.All(o => SharesBatchAxis(o.Value, feeds[0]));
        var fixedBatch = stacked ? feeds[0].FixedBatch : 0;
        var batch = !stacked ? 1 : fixedBatch > 0 ? fixedBatch : Math.Max(1, wantedBatch);
        return new ModelFeeds(feeds, outputs.Select(o => o.Key).ToArray(), batch, stacked);
    }

    /// <summary>
    /// Tensors for the run of samples [start, start + count): stacked inputs are zero-padded up to a fixed batch (the
    /// padding's outputs are dropped by the caller). Dispose the result after the run.
    /// </summary>
    public RunInputs Create(int start, int count)
    {
        var values = new List<OrtValue>(_feeds.Length);
        var pins = new List<GCHandle>(_feeds.Length);
        try
        {
            foreach (var feed in _feeds)
            {
                values.Add(feed.Create(start, count, Batch, pins));
            }
            return new RunInputs(values, pins);
        }
        catch
        {
            new RunInputs(values, pins).Dispose();
            throw;
        }
    }

    /// <summary>Runs the model on samples [start, start + count) and returns every output.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, int start, int count, IReadOnlyList<string>? outputNames = null)
    {
        using var inputs = Create(start, count);
        try
        {
            using var runOptions = new RunOptions();
            return session.Run(runOptions, InputNames, inputs.Values, outputNames ?? OutputNames);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"ONNX Runtime failed to run the model: {ex.Message.ReplaceLineEndings(" ").Trim()}", ex);
        }
    }

    internal static string Describe(NodeMetadata meta) =>
        $"{ElementTypes.Name((DataType)(int)meta.ElementDataType)}[{DescribeDims(meta)}]";

    internal static string DescribeDims(NodeMetadata meta) =>
        string.Join(",", meta.Dimensions.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : meta.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } symbol ? symbol : "?"));

    private static string Where(EvalSet set) => set.Source is null ? "the evaluation set " : $"{set.Source}: the data ";

    /// <summary>An output splits per sample when its first axis is the inputs' batch axis: the same symbol, or the same fixed size.</summary>
    private static bool SharesBatchAxis(NodeMetadata output, Feed first)
    {
        if (output.Dimensions.Length == 0)
        {
            return false;
        }
        return first.FixedBatch > 0
            ? output.Dimensions[0] == first.FixedBatch
            : output.Dimensions[0] <= 0 && first.BatchSymbol is { Length: > 0 } symbol && output.SymbolicDimensions.ElementAtOrDefault(0) == symbol;
    }

    private sealed record Feed(string Name, DataType ElementType, SampleArray Array, bool Stacks, int FixedBatch, string? BatchSymbol)
    {
        public bool FromSet { get; init; } = true;

        public static Feed Of(string name, NodeMetadata meta, SampleArray array, EvalSet set)
        {
            if (!meta.IsTensor)
            {
                throw new OnnxModelException($"input '{name}' is not a tensor ({meta.OnnxValueType}); evaluation feeds tensors");
            }
            var wanted = (DataType)(int)meta.ElementDataType;
            if (array.ElementType != wanted)
            {
                throw new OnnxModelException($"{Where(set)}gives {ElementTypes.Name(array.ElementType)} values for input '{name}', which takes {Describe(meta)}");
            }
            var dims = meta.Dimensions;
            var shape = array.SampleShape;
            if (shape.Length == dims.Length - 1 && Matches(dims.Skip(1), shape))
            {
                return new Feed(name, wanted, array, true, dims[0] > 0 ? dims[0] : 0, meta.SymbolicDimensions.ElementAtOrDefault(0));
            }
            if (shape.Length == dims.Length && Matches(dims, shape))
            {
                return new Feed(name, wanted, array, false, 1, null);
            }
            throw new OnnxModelException($"{Where(set)}has samples of [{string.Join(",", shape)}] for input '{name}', which is [{DescribeDims(meta)}]");
        }

        public OrtValue Create(int start, int count, int batch, List<GCHandle> pins)
        {
            var rows = Stacks ? batch : 1;
            long[] shape = Stacks ? [rows, .. Array.SampleShape] : Array.SampleShape;
            var values = ElementTypes.NewArray(ElementType, rows * Array.SampleElements);
            System.Array.Copy(Array.Values, start * Array.SampleElements, values, 0, Math.Min(count, rows) * Array.SampleElements);
            if (values is string[] strings)
            {
                for (var i = 0; i < strings.Length; i++)
                {
                    strings[i] ??= "";
                }
                return OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(strings, shape.Select(d => (int)d).ToArray()));
            }
            var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
            pins.Add(pin);
            return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType)(int)ElementType,
                shape, pin.AddrOfPinnedObject(), values.LongLength * ElementTypes.Size(ElementType));
        }

        private static bool Matches(IEnumerable<int> modelDims, long[] sampleShape) =>
            modelDims.Zip(sampleShape).All(p => p.First <= 0 || p.First == p.Second);
    }
}

/// <summary>The input tensors of one run and the pinned buffers under them.</summary>
public sealed class RunInputs(IReadOnlyList<OrtValue> values, List<GCHandle> pins) : IDisposable
{
    public IReadOnlyList<OrtValue> Values { get; } = values;

    public void Dispose()
    {
        foreach (var value in Values)
        {
            value.Dispose();
        }
        foreach (var pin in pins)
        {
            pin.Free();
        }
    }
}
