using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Chooses how each target tensor travels in a delta (copy, coded-domain difference, value-domain prediction or
/// whole) and writes its operation bytes. Decoded symbols and runtime bytes are cached, since a base tensor
/// can serve both a difference and a prediction.
/// </summary>
internal sealed class OpPlanner(LoadedArtifact source, LoadedArtifact target, DecodeWorkspace workspace)
{
    private readonly Dictionary<int, byte[][]> _sourceSymbols = [];
    private readonly Dictionary<int, byte[][]> _targetSymbols = [];
    private readonly Dictionary<int, byte[]> _sourceBytes = [];
    private readonly Dictionary<int, byte[]> _targetBytes = [];
    private readonly Dictionary<int, QuantizedWeight> _sourceWeights = QuantizedWeights.Find(source.Source);

    public Dictionary<int, QuantizedWeight> TargetWeights { get; } = QuantizedWeights.Find(target.Source);

    /// <summary>Copy, difference or whole: whichever is smallest.</summary>
    public byte[] PlainOp(int index, int match)
    {
        var entry = target.Table.Tensors[index];
        var payload = target.Payload(index);
        var output = new WireWriter();
        if (match >= 0)
        {
            var baseEntry = source.Table.Tensors[match];
            if (source.Payload(match).Span.SequenceEqual(payload.Span))
            {
                output.Byte((byte)DeltaOp.Copy);
                output.Varint((ulong)match);
                return output.ToArray();
            }
            if (SymbolDiff.Compatible(baseEntry, entry))
            {
                var diff = SymbolDiff.Compute(baseEntry, SourceSymbols(match), entry, TargetSymbols(index));
                var shapes = SymbolDiff.Shapes(entry, diff.Length > 1 ? SymbolDiff.Changed(diff[0]) : 0);
                var coded = diff.Select((d, s) => StreamCoder.EncodeEstimated(d, shapes[s].Bits)).ToList();
                var size = coded.Sum(c => 1 + WireWriter.VarintSize((ulong)c.Data.Length) + c.Data.Length);
                if (size < payload.Length)
                {
                    output.Byte((byte)DeltaOp.Diff);
                    output.Varint((ulong)match);
                    foreach (var (codec, data) in coded)
                    {
                        output.Byte((byte)codec);
                        output.LengthPrefixed(data);
                    }
                    return output.ToArray();
                }
            }
        }
        output.Byte((byte)DeltaOp.Whole);
        output.Bytes(payload.Span);
        return output.ToArray();
    }

    /// <summary>
    /// The target codes as residuals from re-quantizing the base weight's values with the target's scales and
    /// zero points; null when no base weight fits or the result is not smaller than <paramref name="sizeToBeat"/>.
    /// </summary>
    public byte[]? PredictOp(int index, int match, int sizeToBeat)
    {
        var weight = TargetWeights[index];
        var entry = target.Table.Tensors[index];
        if (!Predictable(entry, weight) || TargetWeights.ContainsKey(weight.Scale) || TargetWeights.ContainsKey(weight.Zero))
        {
            return null;
        }
        var from = match >= 0 && _sourceWeights.ContainsKey(match)
            ? match
            : _sourceWeights.Where(w => w.Value.Count == weight.Count).Select(w => w.Key).DefaultIfEmpty(-1).Min();
        if (from < 0)
        {
            return null;
        }
        var baseWeight = _sourceWeights[from];
        var values = ValuePredictor.Dequantize(baseWeight, SourceBytes(baseWeight.Codes), SourceBytes(baseWeight.Scale),
            baseWeight.Zero >= 0 ? SourceBytes(baseWeight.Zero) : []);
        var actual = TargetSymbols(index)[0];
        var scales = TargetBytes(weight.Scale);
        var zeros = weight.Zero >= 0 ? TargetBytes(weight.Zero) : [];

        (byte[] Residual, byte[] Context, ValuePredictor.Orientation Orientation, long Cost)? best = null;
        foreach (var orientation in (ReadOnlySpan<ValuePredictor.Orientation>)[ValuePredictor.Orientation.Same, ValuePredictor.Orientation.Transposed])
        {
            if (!ValuePredictor.Fits(baseWeight, weight, orientation))
            {
                continue;
            }
            var (predicted, context) = ValuePredictor.Predict(weight, entry, values, orientation, scales, zeros);
            var (residual, cost) = Residual(actual, predicted, entry.Bits);
            if (best is null || cost < best.Value.Cost)
            {
                best = (residual, context, orientation, cost);
            }
        }
        if (best is null)
        {
            return null;
        }
        var output = new WireWriter();
        output.Byte((byte)DeltaOp.Predict);
        output.Varint((ulong)from);
        output.Byte((byte)best.Value.Orientation);
        foreach (var stream in ValuePredictor.Split(best.Value.Residual, best.Value.Context))
        {
            var (codec, data) = StreamCoder.EncodeEstimated(stream, entry.Bits);
            output.Byte((byte)codec);
            output.LengthPrefixed(data);
        }
        return output.Length < sizeToBeat ? output.ToArray() : null;
    }

    /// <summary>Whether a prediction can fill <paramref name="entry"/>: its symbols are the weight's code slots.</summary>
    public static bool Predictable(TensorEntry entry, QuantizedWeight weight) =>
        entry.Kind == TensorKind.Codes
        && TensorEntry.PackBits(entry.Layout) == weight.SlotBits
        && TensorEntry.CodeCount(entry.DataType, entry.ElementCount, entry.Layout) == weight.Slots;

    /// <summary>(actual − predicted) mod 2^bits, and its total distance from zero (to compare orientations).</summary>
    public static (byte[] Residual, long Cost) Residual(byte[] actual, byte[] predicted, int bits)
    {
        var mask = (1 << bits) - 1;
        var residual = new byte[actual.Length];
        long cost = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var r = (actual[i] - predicted[i]) & mask;
            residual[i] = (byte)r;
            cost += Math.Min(r, mask + 1 - r);
        }
        return (residual, cost);
    }

    private byte[][] SourceSymbols(int index) => Cached(_sourceSymbols, index,
        () => ArtifactSource.DecodeSymbols(source.Table.Tensors[index], source.Payload(index), workspace));

    private byte[][] TargetSymbols(int index) => Cached(_targetSymbols, index,
        () => ArtifactSource.DecodeSymbols(target.Table.Tensors[index], target.Payload(index), workspace));

    private byte[] SourceBytes(int index) => Cached(_sourceBytes, index, () => SymbolDiff.Dense(source.Table.Tensors[index], SourceSymbols(index)));

    private byte[] TargetBytes(int index) => Cached(_targetBytes, index, () => SymbolDiff.Dense(target.Table.Tensors[index], TargetSymbols(index)));

    private static T Cached<T>(Dictionary<int, T> cache, int index, Func<T> make)
    {
        if (!cache.TryGetValue(index, out var value))
        {
            value = make();
            cache[index] = value;
        }
        return value;
    }
}
