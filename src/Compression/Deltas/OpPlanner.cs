using System.Buffers;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Chooses how each target tensor travels in a delta (copy, coded-domain difference, value-domain prediction or
/// whole) and writes its operation bytes. Safe to call for different tensors at once: decoding is shared through
/// <see cref="DecodedTensors"/>, and a large tensor's decodes and stream codings run concurrently too.
/// </summary>
internal sealed class OpPlanner(LoadedArtifact source, LoadedArtifact target)
{
    private readonly DecodedTensors _source = new(source);
    private readonly DecodedTensors _target = new(target);
    private readonly Dictionary<int, QuantizedWeight> _sourceWeights = QuantizedWeights.Find(source.Source);

    public Dictionary<int, QuantizedWeight> TargetWeights { get; } = QuantizedWeights.Find(target.Source);

    /// <summary>
    /// Decodes, on every core at once and largest first, what the plans for <paramref name="matches"/> will read: both
    /// sides of each likely difference and the inputs of each likely prediction. Decoding is most of an encode, and
    /// as separate pieces it balances across threads far better than whole tensors do. A wrong guess costs only time:
    /// <see cref="Plan"/> decodes whatever it still needs.
    /// </summary>
    public void Prefetch(IReadOnlyList<int> matches)
    {
        var work = new List<(long Bytes, Action Decode)>();
        for (var i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            var entry = target.Table.Tensors[i];
            var index = i;
            if (match >= 0 && SymbolDiff.Compatible(source.Table.Tensors[match], entry))
            {
                if (!source.Payload(match).Span.SequenceEqual(target.Payload(i).Span))
                {
                    work.Add((source.Table.Tensors[match].PayloadLength, () => _source.Symbols(match)));
                    work.Add((entry.PayloadLength, () => _target.Symbols(index)));
                }
                continue;
            }
            if (!TargetWeights.TryGetValue(i, out var weight) || PredictionSource(i, match) is not { } from)
            {
                continue;
            }
            var baseWeight = _sourceWeights[from];
            var baseCodes = source.Table.Tensors[baseWeight.Codes];
            work.Add((baseCodes.PayloadLength, Predictable(baseCodes, baseWeight)
                ? () => _source.Symbols(baseWeight.Codes)
                : () => _source.Bytes(baseWeight.Codes)));
            work.Add((entry.PayloadLength, () => _target.Symbols(index)));
            work.Add((source.Table.Tensors[baseWeight.Scale].PayloadLength, () => _source.Bytes(baseWeight.Scale)));
            work.Add((target.Table.Tensors[weight.Scale].PayloadLength, () => _target.Bytes(weight.Scale)));
            if (baseWeight.Zero >= 0)
            {
                work.Add((source.Table.Tensors[baseWeight.Zero].PayloadLength, () => _source.Bytes(baseWeight.Zero)));
            }
            if (weight.Zero >= 0)
            {
                work.Add((target.Table.Tensors[weight.Zero].PayloadLength, () => _target.Bytes(weight.Zero)));
            }
        }
        var order = Enumerable.Range(0, work.Count).OrderByDescending(w => work[w].Bytes);
        ParallelWork.ForEach(order, w => work[w].Decode());
    }

    /// <summary>
    /// Copy, difference or whole, whichever is smallest; a quantized weight that would travel whole is then tried as
    /// a prediction. (Where a copy or difference exists the recipe is the same: prediction saves ~1–4 % there but
    /// doubles encode time.)
    /// </summary>
    public byte[] Plan(int index, int match)
    {
        var plain = PlainOp(index, match);
        if (plain[0] != (byte)DeltaOp.Whole || !TargetWeights.ContainsKey(index))
        {
            return plain;
        }
        return PredictOp(index, match, plain.Length) ?? plain;
    }

    /// <summary>Copy, difference or whole: whichever is smallest.</summary>
    private byte[] PlainOp(int index, int match)
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
                var coded = Difference(baseEntry, _source.Symbols(match), entry, _target.Symbols(index));
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
    private byte[]? PredictOp(int index, int match, int sizeToBeat)
    {
        var weight = TargetWeights[index];
        var entry = target.Table.Tensors[index];
        if (PredictionSource(index, match) is not { } from)
        {
            return null;
        }
        var baseWeight = _sourceWeights[from];
        // Base codes held one symbol per slot are read as they decode, without packing them into runtime bytes.
        var baseCodes = source.Table.Tensors[baseWeight.Codes];
        var onePerSlot = Predictable(baseCodes, baseWeight);
        using var values = onePerSlot
            ? DequantizeSlots(baseCodes, baseWeight)
            : ValuePredictor.Dequantize(baseWeight, _source.Bytes(baseWeight.Codes), _source.Bytes(baseWeight.Scale), Zeros(_source, baseWeight), pooled: true);
        var actual = _target.Symbols(index)[0];
        var scales = _target.Bytes(weight.Scale);
        var zeros = Zeros(_target, weight);

        var slots = (int)weight.Slots;
        using var first = new Prediction(slots);
        using var second = new Prediction(slots);
        Prediction? best = null;
        foreach (var orientation in (ReadOnlySpan<ValuePredictor.Orientation>)[ValuePredictor.Orientation.Same, ValuePredictor.Orientation.Transposed])
        {
            if (!ValuePredictor.Fits(baseWeight, weight, orientation))
            {
                continue;
            }
            var candidate = best == first ? second : first;
            ValuePredictor.Predict(weight, entry, values, orientation, scales, zeros, candidate.ResidualBuffer, candidate.ContextBuffer,
                split: true);
            candidate.Orientation = orientation;
            candidate.Cost = ValuePredictor.ToResidual(actual, candidate.Residual, entry.Bits);
            if (best is null || candidate.Cost < best.Cost)
            {
                best = candidate;
            }
        }
        if (best is null)
        {
            return null;
        }
        var output = new WireWriter();
        output.Byte((byte)DeltaOp.Predict);
        output.Varint((ulong)from);
        output.Byte((byte)best.Orientation);
        var counts = ValuePredictor.Split(best.Residual, best.Context, best.Streams);
        var streams = new ReadOnlyMemory<byte>[counts.Length];
        for (int c = 0, start = 0; c < counts.Length; start += counts[c], c++)
        {
            streams[c] = best.StreamMemory.Slice(start, counts[c]);
        }
        foreach (var (codec, data) in EncodeStreams(streams, _ => entry.Bits))
        {
            output.Byte((byte)codec);
            output.LengthPrefixed(data);
        }
        return output.Length < sizeToBeat ? output.ToArray() : null;
    }

    /// <summary>
    /// The base weight a prediction of target tensor <paramref name="index"/> starts from: its match if that is a
    /// quantized weight, else the first of the same size; null when its codes cannot be predicted.
    /// </summary>
    private int? PredictionSource(int index, int match)
    {
        var weight = TargetWeights[index];
        if (!Predictable(target.Table.Tensors[index], weight) || TargetWeights.ContainsKey(weight.Scale) || TargetWeights.ContainsKey(weight.Zero))
        {
            return null;
        }
        var from = match >= 0 && _sourceWeights.ContainsKey(match)
            ? match
            : _sourceWeights.Where(w => w.Value.Count == weight.Count).Select(w => w.Key).DefaultIfEmpty(-1).Min();
        return from >= 0 ? from : null;
    }

    /// <summary>Whether a prediction can fill <paramref name="entry"/>: its symbols are the weight's code slots.</summary>
    public static bool Predictable(TensorEntry entry, QuantizedWeight weight) =>
        entry.Kind == TensorKind.Codes
        && TensorEntry.PackBits(entry.Layout) == weight.SlotBits
        && TensorEntry.CodeCount(entry.DataType, entry.ElementCount, entry.Layout) == weight.Slots;

    private ValuePredictor.WeightValues DequantizeSlots(TensorEntry codes, QuantizedWeight weight)
    {
        var symbols = _source.Symbols(weight.Codes)[0];
        var slots = ArrayPool<byte>.Shared.Rent(symbols.Length);
        try
        {
            ValuePredictor.SlotValues(codes, symbols, slots);
            return ValuePredictor.Dequantize(weight, slots.AsSpan(0, symbols.Length), _source.Bytes(weight.Scale), Zeros(_source, weight),
                onePerSlot: true, pooled: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(slots);
        }
    }

    private static byte[] Zeros(DecodedTensors tensors, QuantizedWeight weight) => weight.Zero >= 0 ? tensors.Bytes(weight.Zero) : [];

    /// <summary>The coded difference streams; a codes difference (the one that grows with the model) in a pooled buffer.</summary>
    private static (StreamCodec Codec, byte[] Data)[] Difference(TensorEntry baseEntry, byte[][] baseSymbols, TensorEntry entry, byte[][] symbols)
    {
        if (entry.Kind is not (TensorKind.Codes or TensorKind.Codebook))
        {
            var diff = SymbolDiff.ByteDifferences(baseEntry, baseSymbols, entry, symbols);
            var shapes = SymbolDiff.Shapes(entry, SymbolDiff.Changed(diff[0]));
            return EncodeStreams([.. diff.Select(d => (ReadOnlyMemory<byte>)d)], s => shapes[s].Bits);
        }
        var count = symbols[0].Length;
        var buffer = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            SymbolDiff.CodeDifferences(baseSymbols[0], symbols[0], entry.Bits, buffer);
            return EncodeStreams([buffer.AsMemory(0, count)], _ => entry.Bits);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Each stream coded by the smallest codec the estimates allow; long streams on several threads, largest first.</summary>
    private static (StreamCodec Codec, byte[] Data)[] EncodeStreams(ReadOnlyMemory<byte>[] streams, Func<int, int> bits)
    {
        var coded = new (StreamCodec Codec, byte[] Data)[streams.Length];
        var total = streams.Sum(s => (long)s.Length);
        var largest = streams.Length == 0 ? 0 : streams.Max(s => s.Length);
        var order = Enumerable.Range(0, streams.Length).OrderByDescending(s => streams[s].Length).ToArray();
        void Encode(int s) => coded[s] = DifferenceCoder.Encode(streams[s].Span, bits(s));
        if (total - largest >= ParallelWork.MinSplitWork)
        {
            ParallelWork.ForEach(order, Encode);
        }
        else
        {
            Array.ForEach(order, Encode);
        }
        return coded;
    }

    /// <summary>One orientation's residuals and contexts (then the residuals split by context), in pooled buffers.</summary>
    private sealed class Prediction(int slots) : IDisposable
    {
        private byte[]? _residual = ArrayPool<byte>.Shared.Rent(slots);
        private byte[]? _context = ArrayPool<byte>.Shared.Rent(slots);
        private byte[]? _streams = ArrayPool<byte>.Shared.Rent(slots);

        /// <summary>Total distance of the residuals from zero: the orientation with the smaller wins.</summary>
        public long Cost { get; set; }

        public ValuePredictor.Orientation Orientation { get; set; }

        /// <summary>The rented buffers themselves (longer than the weight's slots), for <see cref="ValuePredictor.Predict"/>.</summary>
        public byte[] ResidualBuffer => _residual ?? throw new ObjectDisposedException(nameof(Prediction));

        public byte[] ContextBuffer => _context ?? throw new ObjectDisposedException(nameof(Prediction));

        public Span<byte> Residual => _residual.AsSpan(0, slots);

        public Span<byte> Context => _context.AsSpan(0, slots);

        public Span<byte> Streams => _streams.AsSpan(0, slots);

        public ReadOnlyMemory<byte> StreamMemory => _streams.AsMemory(0, slots);

        public void Dispose()
        {
            foreach (var buffer in (byte[]?[])[_residual, _context, _streams])
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            (_residual, _context, _streams) = (null, null, null);
        }
    }
}
