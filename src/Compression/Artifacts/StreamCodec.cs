using System.Buffers;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace FleetQuant.Compression.Artifacts;

/// <summary>How one symbol stream (codes, a byte plane, a zero mask) is entropy-coded.</summary>
public enum StreamCodec : byte
{
    /// <summary>Bit-packed at the stream's symbol width, nothing more.</summary>
    Stored = 0,

    /// <summary>Bit-packed, then one zstd frame (level 19, 128 KiB window).</summary>
    Zstd = 1,

    /// <summary>Adaptive binary range coder, one probability tree.</summary>
    RangeOrder0 = 2,

    /// <summary>Adaptive binary range coder, tree chosen by the previous symbol (last 8 bits for 1-bit streams).</summary>
    RangeOrder1 = 3,
}

/// <summary>Reads the symbols of one coded stream in order, without holding them all.</summary>
internal interface ISymbolReader
{
    int Next();

    /// <summary>Checks that the stream held exactly the symbols read (and its checksum, where it has one).</summary>
    void Finish();
}

/// <summary>Encodes symbol streams with each codec, picks the smallest, and opens streaming readers.</summary>
internal static class StreamCoder
{
    public const int ZstdLevel = 19;

    /// <summary>A 128 KiB window bounds the decoder's memory; weights have no long-range repeats to lose.</summary>
    public const int ZstdWindowLog = 17;

    private static readonly StreamCodec[] Candidates = [StreamCodec.Stored, StreamCodec.Zstd, StreamCodec.RangeOrder0, StreamCodec.RangeOrder1];

    /// <param name="tryZstd">
    /// False skips zstd -19, the slowest candidate: deltas use that, since range coding wins on their skewed
    /// differences and encode time matters there.
    /// </param>
    public static (StreamCodec Codec, byte[] Data) EncodeSmallest(ReadOnlySpan<byte> symbols, int bits, bool tryZstd = true)
    {
        (StreamCodec Codec, byte[] Data) best = (StreamCodec.Stored, Pack(symbols, bits));
        foreach (var codec in Candidates.Skip(1).Where(c => tryZstd || c != StreamCodec.Zstd))
        {
            if (symbols.Length == 0)
            {
                break;
            }
            var data = Encode(symbols, bits, codec);
            if (data.Length < best.Data.Length)
            {
                best = (codec, data);
            }
        }
        return best;
    }

    public static byte[] Encode(ReadOnlySpan<byte> symbols, int bits, StreamCodec codec)
    {
        switch (codec)
        {
            case StreamCodec.Stored:
                return Pack(symbols, bits);
            case StreamCodec.Zstd:
                return ZstdFrames.Compress(Pack(symbols, bits), dictionary: default);
            case StreamCodec.RangeOrder0:
            case StreamCodec.RangeOrder1:
                var model = new SymbolModel(bits, codec == StreamCodec.RangeOrder1);
                var encoder = new RangeEncoder();
                foreach (var s in symbols)
                {
                    encoder.Encode(model, s);
                }
                return encoder.Finish();
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown stream codec");
        }
    }

    public static ISymbolReader OpenReader(StreamCodec codec, ReadOnlyMemory<byte> data, long count, int bits, DecodeWorkspace workspace) => codec switch
    {
        StreamCodec.Stored => new PackedReader(new SpanByteSource(data, PackedLength(count, bits)), count, bits),
        StreamCodec.Zstd => new PackedReader(new ZstdByteSource(data, workspace.RentDecompressor(), PackedLength(count, bits)), count, bits),
        StreamCodec.RangeOrder0 or StreamCodec.RangeOrder1 => new RangeReader(new RangeDecoder(data), workspace.RentModel(bits, codec == StreamCodec.RangeOrder1), count),
        _ => throw new ArtifactException($"unknown stream codec {(byte)codec}"),
    };

    /// <summary>Decodes a whole stream into one byte per symbol.</summary>
    public static byte[] DecodeAll(StreamCodec codec, ReadOnlyMemory<byte> data, long count, int bits, DecodeWorkspace workspace)
    {
        var symbols = new byte[count];
        var reader = OpenReader(codec, data, count, bits, workspace);
        for (var i = 0; i < symbols.Length; i++)
        {
            symbols[i] = (byte)reader.Next();
        }
        reader.Finish();
        return symbols;
    }

    public static long PackedLength(long count, int bits) => (count * bits + 7) / 8;

    public static byte[] Pack(ReadOnlySpan<byte> symbols, int bits)
    {
        var packed = new byte[PackedLength(symbols.Length, bits)];
        if (bits == 8)
        {
            symbols.CopyTo(packed);
            return packed;
        }
        long bit = 0;
        foreach (var s in symbols)
        {
            var value = s;
            for (var i = 0; i < bits; i++, bit++)
            {
                packed[bit >> 3] |= (byte)(((value >> i) & 1) << (int)(bit & 7));
            }
        }
        return packed;
    }

    private interface IByteSource
    {
        int Next();

        void Finish();
    }

    private sealed class PackedReader(IByteSource source, long count, int bits) : ISymbolReader
    {
        private long _read;
        private int _current;
        private int _bitsLeft;

        public int Next()
        {
            if (_read++ >= count)
            {
                throw new ArtifactException("a stream was read past its declared symbol count");
            }
            if (bits == 8)
            {
                return source.Next();
            }
            var value = 0;
            for (var i = 0; i < bits; i++)
            {
                if (_bitsLeft == 0)
                {
                    _current = source.Next();
                    _bitsLeft = 8;
                }
                value |= (_current & 1) << i;
                _current >>= 1;
                _bitsLeft--;
            }
            return value;
        }

        public void Finish()
        {
            if (_read != count)
            {
                throw new ArtifactException($"a stream declares {count} symbols but {_read} were used");
            }
            source.Finish();
        }
    }

    private sealed class SpanByteSource : IByteSource
    {
        private readonly ReadOnlyMemory<byte> _data;
        private int _position;

        public SpanByteSource(ReadOnlyMemory<byte> data, long expectedLength)
        {
            if (data.Length != expectedLength)
            {
                throw new ArtifactException($"a stored stream is {data.Length} bytes, its symbols need {expectedLength}");
            }
            _data = data;
        }

        public int Next() => _data.Span[_position++];

        public void Finish()
        {
            if (_position != _data.Length)
            {
                throw new ArtifactException("a stored stream has bytes its symbols do not use");
            }
        }
    }

    private sealed class ZstdByteSource(ReadOnlyMemory<byte> data, Decompressor decompressor, long expectedLength) : IByteSource
    {
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
        private int _inputPosition;
        private int _bufferPosition;
        private int _bufferLength;
        private long _produced;
        private bool _frameDone;

        public int Next()
        {
            if (_bufferPosition == _bufferLength)
            {
                Refill();
            }
            return _buffer[_bufferPosition++];
        }

        public void Finish()
        {
            // Run the frame to its end so nothing extra hides after the symbols.
            while (!_frameDone)
            {
                Refill(allowEnd: true);
                if (_bufferLength > 0)
                {
                    throw new ArtifactException("a zstd stream holds more data than its symbols need");
                }
            }
            if (_inputPosition != data.Length || _produced != expectedLength)
            {
                throw new ArtifactException("a zstd stream has trailing bytes or the wrong length");
            }
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        private void Refill(bool allowEnd = false)
        {
            _bufferPosition = 0;
            _bufferLength = 0;
            while (_bufferLength == 0 && !_frameDone)
            {
                OperationStatus status;
                int consumed;
                int written;
                try
                {
                    status = decompressor.UnwrapStream(data.Span[_inputPosition..], _buffer.AsSpan(0, 4096), out consumed, out written);
                }
                catch (ZstdException ex)
                {
                    throw new ArtifactException($"a zstd stream is corrupt ({ex.Message})", ex);
                }
                _inputPosition += consumed;
                _bufferLength = written;
                _produced += written;
                if (_produced > expectedLength)
                {
                    throw new ArtifactException($"a zstd stream decodes to more than the {expectedLength} bytes declared");
                }
                _frameDone = status == OperationStatus.Done;
                if (written == 0 && consumed == 0 && !_frameDone)
                {
                    throw new ArtifactException("a zstd stream ends before its frame does");
                }
            }
            if (_bufferLength == 0 && !allowEnd)
            {
                throw new ArtifactException("a zstd stream ends before all its symbols were decoded");
            }
        }
    }

    private sealed class RangeReader(RangeDecoder decoder, SymbolModel model, long count) : ISymbolReader
    {
        private long _read;

        public int Next()
        {
            if (_read++ >= count)
            {
                throw new ArtifactException("a stream was read past its declared symbol count");
            }
            return decoder.Decode(model);
        }

        public void Finish()
        {
            if (_read != count)
            {
                throw new ArtifactException($"a stream declares {count} symbols but {_read} were used");
            }
        }
    }
}

/// <summary>
/// zstd decoders reused across the streams of one decode, so the decode's memory stays constant however many
/// tensors an artifact holds.
/// </summary>
internal sealed class DecodeWorkspace : IDisposable
{
    private readonly List<Decompressor> _decompressors = [];
    private readonly List<ushort[]> _tables = [];
    private int _next;
    private int _nextTable;

    public Decompressor RentDecompressor()
    {
        if (_next == _decompressors.Count)
        {
            var decompressor = new Decompressor();
            decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, StreamCoder.ZstdWindowLog);
            _decompressors.Add(decompressor);
        }
        var rented = _decompressors[_next++];
        rented.ResetStream();
        return rented;
    }

    public SymbolModel RentModel(int bits, bool order1)
    {
        if (_nextTable == _tables.Count)
        {
            // Every table is allocated at the largest size (8-bit, order 1) so any stream can reuse it.
            _tables.Add(new ushort[SymbolModel.TableSize(8, true)]);
        }
        return new SymbolModel(bits, order1, _tables[_nextTable++]);
    }

    /// <summary>zstd's own estimate of the native memory these decoders hold (window plus context each).</summary>
    public long NativeBytes => _decompressors.Count * (long)Methods.ZSTD_estimateDStreamSize((nuint)(1 << StreamCoder.ZstdWindowLog));

    /// <summary>Makes every decoder available again; call between tensors.</summary>
    public void ReleaseAll()
    {
        _next = 0;
        _nextTable = 0;
    }

    public void Dispose()
    {
        foreach (var d in _decompressors)
        {
            d.Dispose();
        }
    }
}

/// <summary>One-shot zstd frames with the container's fixed settings, so equal input gives equal bytes.</summary>
internal static class ZstdFrames
{
    public static byte[] Compress(ReadOnlySpan<byte> data, ReadOnlySpan<byte> dictionary)
    {
        using var compressor = new Compressor(StreamCoder.ZstdLevel);
        // No per-frame checksum or size: the header's SHA-256 of the decoded model covers every byte, and the
        // tensor table already fixes each stream's length.
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 0);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_contentSizeFlag, 0);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, StreamCoder.ZstdWindowLog);
        if (!dictionary.IsEmpty)
        {
            compressor.LoadDictionary(dictionary);
        }
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>Decompresses a frame that must produce exactly <paramref name="length"/> bytes.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> frame, int length, ReadOnlySpan<byte> dictionary, Func<string, Exception> fail, string what)
    {
        var output = new byte[length];
        using var decompressor = new Decompressor();
        decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, StreamCoder.ZstdWindowLog);
        if (!dictionary.IsEmpty)
        {
            decompressor.LoadDictionary(dictionary);
        }
        int written;
        try
        {
            if (!decompressor.TryUnwrap(frame, output, out written))
            {
                throw fail($"{what}: decompresses to more than the {length} bytes declared");
            }
        }
        catch (ZstdException ex)
        {
            throw fail($"{what}: corrupt zstd data ({ex.Message})");
        }
        if (written != length)
        {
            throw fail($"{what}: decompresses to {written} bytes, {length} declared");
        }
        return output;
    }
}
