using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Reads a delta's per-tensor operations and writes each target tensor's coded streams, seeking the base one
/// tensor at a time. Held tensors (scales and zero points a prediction needs) are rebuilt first and kept in
/// memory until their turn in the target comes.
/// </summary>
internal sealed class OpReader(Stream baseArtifact, ArtifactSource source, long[] baseOffsets, ArtifactSource target, Stream delta, DecodeWorkspace workspace)
{
    private const int CopyChunk = 64 * 1024;

    private readonly byte[] _copyBuffer = new byte[CopyChunk];
    private readonly PayloadBuffer _baseBuffer = new();
    private readonly Dictionary<int, byte[]> _held = [];
    private Dictionary<int, QuantizedWeight>? _sourceWeights;
    private Dictionary<int, QuantizedWeight>? _targetWeights;

    public int Copied { get; private set; }

    public int Patched { get; private set; }

    public int Whole { get; private set; }

    /// <summary>Rebuilds target tensor <paramref name="index"/> now and keeps its coded streams for <see cref="Write"/>.</summary>
    public void Hold(int index)
    {
        using var buffer = new MemoryStream();
        Apply(index, buffer, allowPredict: false);
        _held[index] = buffer.ToArray();
    }

    public void Write(int index, Stream output)
    {
        if (_held.TryGetValue(index, out var held))
        {
            output.Write(held);
            return;
        }
        Apply(index, output, allowPredict: true);
    }

    private void Apply(int index, Stream output, bool allowPredict)
    {
        var entry = target.Table.Tensors[index];
        var op = (DeltaOp)ReadByte(entry);
        switch (op)
        {
            case DeltaOp.Whole:
                CopyExactly(delta, output, entry.PayloadLength, $"tensor '{entry.Name}'");
                Whole++;
                break;
            case DeltaOp.Copy:
                var copyFrom = BaseIndex(entry);
                if (source.Table.Tensors[copyFrom].PayloadLength != entry.PayloadLength)
                {
                    throw new DeltaException($"tensor '{entry.Name}': copy source has a different length");
                }
                baseArtifact.Position = baseOffsets[copyFrom];
                CopyExactly(baseArtifact, output, entry.PayloadLength, $"base tensor '{entry.Name}'");
                Copied++;
                break;
            case DeltaOp.Diff:
                var diffFrom = BaseIndex(entry);
                var baseEntry = source.Table.Tensors[diffFrom];
                if (!SymbolDiff.Compatible(baseEntry, entry))
                {
                    throw new DeltaException($"tensor '{entry.Name}': a difference from '{baseEntry.Name}' is not possible");
                }
                var diff = ReadDiff(entry);
                WriteCoded(entry, SymbolDiff.Apply(baseEntry, BaseSymbols(diffFrom), entry, diff), output);
                Patched++;
                break;
            case DeltaOp.Predict when allowPredict:
                WriteCoded(entry, [Predict(index, entry)], output);
                Patched++;
                break;
            default:
                throw new DeltaException($"tensor '{entry.Name}': delta operation {(byte)op} is unknown or not allowed here");
        }
    }

    private byte[] Predict(int index, TensorEntry entry)
    {
        var from = BaseIndex(entry);
        var orientation = (ValuePredictor.Orientation)ReadByte(entry);
        _sourceWeights ??= QuantizedWeights.Find(source);
        _targetWeights ??= QuantizedWeights.Find(target);
        if (!_sourceWeights.TryGetValue(from, out var baseWeight))
        {
            throw new DeltaException($"tensor '{entry.Name}': base tensor #{from} is not a quantized weight to predict from");
        }
        if (!_targetWeights.TryGetValue(index, out var weight) || !OpPlanner.Predictable(entry, weight))
        {
            throw new DeltaException($"tensor '{entry.Name}': the target graph does not dequantize it in a way a prediction can fill");
        }
        if (!Enum.IsDefined(orientation) || !ValuePredictor.Fits(baseWeight, weight, orientation))
        {
            throw new DeltaException($"tensor '{entry.Name}': base weight #{from} does not fit it ({orientation})");
        }
        if (!_held.ContainsKey(weight.Scale) || (weight.Zero >= 0 && !_held.ContainsKey(weight.Zero)))
        {
            throw new DeltaException($"tensor '{entry.Name}': its scales or zero points were not sent ahead of it");
        }

        using var values = ValuePredictor.Dequantize(baseWeight, BaseBytes(baseWeight.Codes), BaseBytes(baseWeight.Scale),
            baseWeight.Zero >= 0 ? BaseBytes(baseWeight.Zero) : []);
        var predicted = new byte[weight.Slots];
        var context = new byte[weight.Slots];
        ValuePredictor.Predict(weight, entry, values, orientation, HeldBytes(weight.Scale),
            weight.Zero >= 0 ? HeldBytes(weight.Zero) : [], predicted, context);
        var residuals = ValuePredictor.Counts(context).Select(n => ReadStream(entry, new StreamShape(n, entry.Bits))).ToArray();
        var taken = new int[ValuePredictor.Contexts];
        var mask = (1 << entry.Bits) - 1;
        for (var i = 0; i < predicted.Length; i++)
        {
            var c = context[i];
            predicted[i] = (byte)((predicted[i] + residuals[c][taken[c]++]) & mask);
        }
        return predicted;
    }

    private void WriteCoded(TensorEntry entry, byte[][] symbols, Stream output)
    {
        var coded = TensorPacker.EncodeAs(entry, symbols);
        for (var s = 0; s < coded.Length; s++)
        {
            if (coded[s].Length != entry.Streams[s].Length)
            {
                throw new DeltaException($"tensor '{entry.Name}': patched stream {s} is {coded[s].Length} bytes, the target has {entry.Streams[s].Length}");
            }
            output.Write(coded[s]);
        }
    }

    private byte[][] BaseSymbols(int index)
    {
        var baseEntry = source.Table.Tensors[index];
        baseArtifact.Position = baseOffsets[index];
        return ArtifactSource.DecodeSymbols(baseEntry, _baseBuffer.Fill(baseArtifact, baseEntry.PayloadLength, baseEntry.Name), workspace);
    }

    private byte[] BaseBytes(int index) => SymbolDiff.Dense(source.Table.Tensors[index], BaseSymbols(index));

    private byte[] HeldBytes(int index)
    {
        var entry = target.Table.Tensors[index];
        return SymbolDiff.Dense(entry, ArtifactSource.DecodeSymbols(entry, _held[index], workspace));
    }

    private byte[][] ReadDiff(TensorEntry entry)
    {
        var streams = new List<byte[]>();
        var shapes = SymbolDiff.Shapes(entry, 0);
        for (var s = 0; s < shapes.Length; s++)
        {
            streams.Add(ReadStream(entry, s == 0 ? shapes[0] : shapes[s] with { Count = SymbolDiff.Changed(streams[0]) }));
        }
        return [.. streams];
    }

    private byte[] ReadStream(TensorEntry entry, StreamShape shape)
    {
        var codec = (StreamCodec)ReadByte(entry);
        if (!Enum.IsDefined(codec))
        {
            throw new DeltaException($"tensor '{entry.Name}': unknown difference codec {(byte)codec}");
        }
        var length = DeltaHead.ReadVarint(delta, $"tensor '{entry.Name}' difference length");
        if (length > (ulong)StreamCoder.PackedLength(shape.Count, shape.Bits))
        {
            throw new DeltaException($"tensor '{entry.Name}': difference stream of {length} bytes is longer than its symbols");
        }
        var data = DeltaHead.ReadBytes(delta, (int)length, $"tensor '{entry.Name}' difference");
        var symbols = StreamCoder.DecodeAll(codec, data, shape.Count, shape.Bits, workspace);
        workspace.ReleaseAll();
        return symbols;
    }

    private int BaseIndex(TensorEntry entry)
    {
        var index = DeltaHead.ReadVarint(delta, $"tensor '{entry.Name}' base index");
        return index < (ulong)source.Table.Tensors.Count
            ? (int)index
            : throw new DeltaException($"tensor '{entry.Name}': base tensor #{index} does not exist (base has {source.Table.Tensors.Count})");
    }

    private int ReadByte(TensorEntry entry)
    {
        var b = delta.ReadByte();
        return b >= 0 ? b : throw new DeltaException($"delta is truncated at tensor '{entry.Name}'");
    }

    private void CopyExactly(Stream from, Stream to, long length, string what)
    {
        while (length > 0)
        {
            var read = from.Read(_copyBuffer, 0, (int)Math.Min(_copyBuffer.Length, length));
            if (read == 0)
            {
                throw new DeltaException($"{what}: input ends early");
            }
            to.Write(_copyBuffer, 0, read);
            length -= read;
        }
    }
}
