namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Decodes an artifact straight into a serialized ONNX ModelProto, one tensor at a time: the only buffer that
/// grows with the model is the one holding the current tensor's coded streams.
/// </summary>
public static class ArtifactReader
{
    public static ArtifactInfo Unpack(Stream artifact, Stream onnxOutput, ArtifactLimits? limits = null)
    {
        limits ??= ArtifactLimits.Default;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var opened = ArtifactSource.Open(artifact, limits);
        var table = opened.Table;

        using var hashing = new HashingStream(onnxOutput);
        using var workspace = new DecodeWorkspace();
        var chunk = new byte[TensorStreams.ChunkBytes];
        var payload = new PayloadBuffer();
        table.WriteModelStart(hashing, opened.Skeleton);
        for (var t = 0; t < table.Tensors.Count; t++)
        {
            var entry = table.Tensors[t];
            var data = payload.Fill(artifact, entry.PayloadLength, entry.Name);
            table.WriteTensorStart(hashing, entry);
            TensorStreams.Emit(entry, ArtifactSource.OpenReaders(entry, data, workspace), hashing, chunk);
            workspace.ReleaseAll();
            table.WriteAfterTensor(hashing, opened.Skeleton, t);
        }

        if (hashing.Written != table.DecodedLength || !hashing.Hash().AsSpan().SequenceEqual(table.DecodedSha256))
        {
            throw new ArtifactException("decoded model does not match the SHA-256 in the artifact header: the artifact is corrupt");
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new ArtifactInfo(table.RecipeId, table.Tensors.Count, hashing.Written, table.LargestRawLength,
            allocated + workspace.NativeBytes, Convert.ToHexStringLower(table.DecodedSha256));
    }
}

/// <summary>The parsed front of an artifact (table and skeleton) and helpers to read its tensors.</summary>
internal sealed record ArtifactSource(ArtifactTable Table, byte[] TableBytes, byte[] Skeleton)
{
    public static ArtifactSource Open(Stream artifact, ArtifactLimits limits)
    {
        var fixedHeader = ReadExactly(artifact, ArtifactTable.FixedHeaderLength, "header");
        var (compressed, tableLength, skeletonLength, version) = ArtifactTable.ParseFixedHeader(fixedHeader, limits);
        var frontFrame = ReadExactly(artifact, compressed, "tensor table");
        var front = ZstdFrames.Decompress(frontFrame, tableLength + skeletonLength, default, m => new ArtifactException(m), "artifact tensor table");
        var tableBytes = front[..tableLength];
        var skeleton = front[tableLength..];
        var table = ArtifactTable.Parse(tableBytes, limits, version);
        if (table.ModelRestLength + table.GraphRestLength != skeletonLength)
        {
            throw new ArtifactException("artifact graph skeleton length does not match its table");
        }
        if (artifact.CanSeek)
        {
            var payload = table.Tensors.Sum(t => t.PayloadLength);
            if (artifact.Length - artifact.Position < payload)
            {
                throw new ArtifactException($"artifact is truncated: its tensors need {payload} bytes but {artifact.Length - artifact.Position} remain");
            }
        }
        return new ArtifactSource(table, tableBytes, skeleton);
    }

    public static ISymbolReader[] OpenReaders(TensorEntry entry, ReadOnlyMemory<byte> payload, DecodeWorkspace workspace)
    {
        var shapes = entry.Shapes();
        var readers = new ISymbolReader[shapes.Length];
        var offset = 0;
        for (var i = 0; i < shapes.Length; i++)
        {
            var slot = entry.Streams[i];
            readers[i] = StreamCoder.OpenReader(slot.Codec, payload.Slice(offset, slot.Length), shapes[i].Count, shapes[i].Bits, workspace);
            offset += slot.Length;
        }
        return readers;
    }

    /// <summary>Decodes every stream of a tensor into one byte per symbol.</summary>
    public static byte[][] DecodeSymbols(TensorEntry entry, ReadOnlyMemory<byte> payload, DecodeWorkspace workspace)
    {
        var shapes = entry.Shapes();
        var symbols = new byte[shapes.Length][];
        var offset = 0;
        for (var i = 0; i < shapes.Length; i++)
        {
            var slot = entry.Streams[i];
            symbols[i] = StreamCoder.DecodeAll(slot.Codec, payload.Slice(offset, slot.Length), shapes[i].Count, shapes[i].Bits, workspace);
            offset += slot.Length;
        }
        workspace.ReleaseAll();
        return symbols;
    }

    public static byte[] ReadExactly(Stream stream, int length, string what)
    {
        var buffer = new PayloadBuffer();
        return buffer.Fill(stream, length, what).ToArray();
    }
}

/// <summary>
/// A reusable buffer that grows only as bytes actually arrive, so a header that declares a huge payload
/// cannot make the reader allocate it before the input proves it exists.
/// </summary>
internal sealed class PayloadBuffer
{
    private const int Step = 1 << 20;
    private byte[] _buffer = [];

    public ReadOnlyMemory<byte> Fill(Stream stream, long length, string what)
    {
        if (length > int.MaxValue)
        {
            throw new ArtifactException($"{what}: {length} bytes is over the 2 GiB section limit");
        }
        var filled = 0;
        while (filled < length)
        {
            var want = (int)Math.Min(length - filled, Step);
            if (_buffer.Length < filled + want)
            {
                Array.Resize(ref _buffer, (int)Math.Min(length, Math.Max((long)filled + want, _buffer.Length * 2L)));
            }
            var read = stream.Read(_buffer, filled, want);
            if (read == 0)
            {
                throw new ArtifactException($"artifact is truncated in {what}: {length} bytes declared, {filled} present");
            }
            filled += read;
        }
        return _buffer.AsMemory(0, (int)length);
    }
}
