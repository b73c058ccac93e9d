using System.Security.Cryptography;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Applies a delta to a base artifact, writing the target artifact as it goes. The base is read by seeking
/// to one tensor at a time and the delta front to back, so memory holds the two tables and skeletons plus
/// one tensor, never whole artifacts. The target's SHA-256 is checked at the end.
/// </summary>
public static class DeltaDecoder
{
    private const int CopyChunk = 64 * 1024;

    public static DeltaApplyInfo Apply(Stream baseArtifact, Stream delta, Stream targetOutput)
    {
        if (!baseArtifact.CanSeek)
        {
            throw new ArgumentException("the base artifact stream must be seekable (a file)", nameof(baseArtifact));
        }
        try
        {
            return ApplyChecked(baseArtifact, delta, targetOutput);
        }
        catch (ArtifactException ex)
        {
            throw new DeltaException($"delta cannot be applied: {ex.Message}", ex);
        }
    }

    private static DeltaApplyInfo ApplyChecked(Stream baseArtifact, Stream delta, Stream targetOutput)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var limits = ArtifactLimits.Default;
        var head = DeltaHead.Read(delta, limits);

        baseArtifact.Position = 0;
        if (!SHA256.HashData(baseArtifact).AsSpan().SequenceEqual(head.BaseSha256))
        {
            throw new DeltaException("this delta was made for a different base artifact (base SHA-256 does not match)");
        }
        baseArtifact.Position = 0;
        var source = ArtifactSource.Open(baseArtifact, limits);
        var baseOffsets = Offsets(source.Table, baseArtifact.Position);

        var tableBytes = ZstdFrames.Decompress(DeltaHead.ReadBytes(delta, head.TableFrameLength, "target table"), head.TargetTableLength,
            source.TableBytes, m => new DeltaException(m), "delta target table");
        var table = ArtifactTable.Parse(tableBytes, limits);
        var skeleton = ZstdFrames.Decompress(DeltaHead.ReadBytes(delta, head.SkeletonFrameLength, "target skeleton"), head.TargetSkeletonLength,
            source.Skeleton, m => new DeltaException(m), "delta target skeleton");
        if (skeleton.Length != table.ModelRestLength + table.GraphRestLength)
        {
            throw new DeltaException("delta target skeleton does not match its table");
        }

        using var output = new HashingStream(targetOutput);
        ArtifactWriter.WriteFront(output, tableBytes, skeleton);

        using var workspace = new DecodeWorkspace();
        var baseBuffer = new PayloadBuffer();
        var copyBuffer = new byte[CopyChunk];
        int copied = 0, patched = 0, whole = 0;
        foreach (var entry in table.Tensors)
        {
            var op = (DeltaOp)ReadByte(delta, entry);
            switch (op)
            {
                case DeltaOp.Whole:
                    CopyExactly(delta, output, entry.PayloadLength, copyBuffer, $"tensor '{entry.Name}'");
                    whole++;
                    break;
                case DeltaOp.Copy:
                    var copyFrom = BaseIndex(delta, source.Table, entry);
                    if (source.Table.Tensors[copyFrom].PayloadLength != entry.PayloadLength)
                    {
                        throw new DeltaException($"tensor '{entry.Name}': copy source has a different length");
                    }
                    baseArtifact.Position = baseOffsets[copyFrom];
                    CopyExactly(baseArtifact, output, entry.PayloadLength, copyBuffer, $"base tensor '{entry.Name}'");
                    copied++;
                    break;
                case DeltaOp.Diff:
                    var diffFrom = BaseIndex(delta, source.Table, entry);
                    var baseEntry = source.Table.Tensors[diffFrom];
                    if (!SymbolDiff.Compatible(baseEntry, entry))
                    {
                        throw new DeltaException($"tensor '{entry.Name}': a difference from '{baseEntry.Name}' is not possible");
                    }
                    baseArtifact.Position = baseOffsets[diffFrom];
                    var baseSymbols = ArtifactSource.DecodeSymbols(baseEntry, baseBuffer.Fill(baseArtifact, baseEntry.PayloadLength, baseEntry.Name), workspace);
                    var diff = ReadDiff(delta, entry, workspace);
                    var coded = TensorPacker.EncodeAs(entry, SymbolDiff.Apply(baseEntry, baseSymbols, entry, diff));
                    for (var s = 0; s < coded.Length; s++)
                    {
                        if (coded[s].Length != entry.Streams[s].Length)
                        {
                            throw new DeltaException($"tensor '{entry.Name}': patched stream {s} is {coded[s].Length} bytes, the target has {entry.Streams[s].Length}");
                        }
                        output.Write(coded[s]);
                    }
                    patched++;
                    break;
                default:
                    throw new DeltaException($"tensor '{entry.Name}': unknown delta operation {(byte)op}");
            }
        }

        if (delta.ReadByte() >= 0)
        {
            throw new DeltaException("delta has bytes after its last operation");
        }
        var sha = output.Hash();
        if (output.Written != head.TargetLength || !sha.AsSpan().SequenceEqual(head.TargetSha256))
        {
            throw new DeltaException("patched artifact does not match the target SHA-256 in the delta");
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new DeltaApplyInfo(output.Written, Convert.ToHexStringLower(sha), copied, patched, whole, allocated + workspace.NativeBytes);
    }

    private static byte[][] ReadDiff(Stream delta, TensorEntry entry, DecodeWorkspace workspace)
    {
        var streams = new List<byte[]>();
        var shapes = SymbolDiff.Shapes(entry, 0);
        for (var s = 0; s < shapes.Length; s++)
        {
            var shape = s == 0 ? shapes[0] : shapes[s] with { Count = SymbolDiff.Changed(streams[0]) };
            var codec = (StreamCodec)ReadByte(delta, entry);
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
            streams.Add(StreamCoder.DecodeAll(codec, data, shape.Count, shape.Bits, workspace));
            workspace.ReleaseAll();
        }
        return [.. streams];
    }

    private static int BaseIndex(Stream delta, ArtifactTable table, TensorEntry entry)
    {
        var index = DeltaHead.ReadVarint(delta, $"tensor '{entry.Name}' base index");
        return index < (ulong)table.Tensors.Count
            ? (int)index
            : throw new DeltaException($"tensor '{entry.Name}': base tensor #{index} does not exist (base has {table.Tensors.Count})");
    }

    private static int ReadByte(Stream delta, TensorEntry entry)
    {
        var b = delta.ReadByte();
        return b >= 0 ? b : throw new DeltaException($"delta is truncated at tensor '{entry.Name}'");
    }

    private static long[] Offsets(ArtifactTable table, long start)
    {
        var offsets = new long[table.Tensors.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = start;
            start += table.Tensors[i].PayloadLength;
        }
        return offsets;
    }

    private static void CopyExactly(Stream from, Stream to, long length, byte[] buffer, string what)
    {
        while (length > 0)
        {
            var read = from.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (read == 0)
            {
                throw new DeltaException($"{what}: input ends early");
            }
            to.Write(buffer, 0, read);
            length -= read;
        }
    }
}
