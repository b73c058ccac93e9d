using System.Runtime.CompilerServices;
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

    /// <summary>Static order-0 rANS with the frequency table in front: about the range coder's size, decoded several times faster.</summary>
    Rans = 4,

    /// <summary>
    /// Adaptive range coder over zig-zag magnitudes of small signed values (unary, escape to a full tree), context the
    /// previous magnitude: for code differences and prediction residuals. Deltas use it; the packer does not.
    /// </summary>
    RangeSigned = 5,

    /// <summary>Static order-1 rANS (table chosen by the previous symbol) for symbols of at most 4 bits.</summary>
    RansOrder1 = 6,
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

    /// <summary>rANS decodes several times faster than the range coder: it is kept when within this share of the smallest.</summary>
    private const double RansSlack = 1.01;

    /// <summary>
    /// Stored decodes some 40 times faster than the adaptive range coder (~0.3 ms against ~5 µs for a 6400-byte plane): a
    /// stream no coder shrinks by more than this share (float scales' low byte planes) is kept stored.
    /// </summary>
    private const double StoredSlack = 1.03;

    private static readonly StreamCodec[] Candidates =
        [StreamCodec.Stored, StreamCodec.Zstd, StreamCodec.RangeOrder0, StreamCodec.RangeOrder1, StreamCodec.Rans, StreamCodec.RansOrder1];

    /// <param name="zstdLevel">The zstd level tried; lower levels give a cheaper estimate of the size (the ladder's).</param>
    public static (StreamCodec Codec, byte[] Data) EncodeSmallest(ReadOnlySpan<byte> symbols, int bits, int zstdLevel = ZstdLevel)
    {
        (StreamCodec Codec, byte[] Data) best = (StreamCodec.Stored, Pack(symbols, bits));
        foreach (var codec in Candidates.Skip(1))
        {
            if (symbols.Length == 0)
            {
                break;
            }
            if (codec == StreamCodec.RansOrder1 && bits > RansOrder1Coder.MaxBits)
            {
                continue;
            }
            var data = codec == StreamCodec.Zstd ? ZstdFrames.Compress(Pack(symbols, bits), dictionary: default, zstdLevel) : Encode(symbols, bits, codec);
            if (data.Length < best.Data.Length)
            {
                best = (codec, data);
            }
        }
        return best;
    }

    /// <summary>
    /// The smallest coding, except that stored wins within <see cref="StoredSlack"/> and rANS within
    /// <see cref="RansSlack"/>: decode speed matters on the device and to the delta encoder, which decodes both artifacts.
    /// </summary>
    public static (StreamCodec Codec, byte[] Data) EncodeForArtifact(ReadOnlySpan<byte> symbols, int bits, int zstdLevel = ZstdLevel)
    {
        var best = EncodeSmallest(symbols, bits, zstdLevel);
        if (best.Codec is StreamCodec.Stored or StreamCodec.Rans or StreamCodec.RansOrder1 || symbols.IsEmpty)
        {
            return best;
        }
        var stored = PackedLength(symbols.Length, bits);
        if (stored <= best.Data.Length * StoredSlack)
        {
            return (StreamCodec.Stored, Pack(symbols, bits));
        }
        // Order-1 rANS is kept only when smallest outright: its per-context tables can cost more than 1 % on short
        // or 2-bit streams.
        var rans = Encode(symbols, bits, StreamCodec.Rans);
        return rans.Length <= best.Data.Length * RansSlack && rans.Length < stored ? (StreamCodec.Rans, rans) : best;
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
                return RangeCoding.Encode(symbols, bits, codec == StreamCodec.RangeOrder1);
            case StreamCodec.Rans:
                return RansCoder.Encode(symbols, bits);
            case StreamCodec.RangeSigned:
                return SignedRangeCoding.Encode(symbols, bits);
            case StreamCodec.RansOrder1:
                return RansOrder1Coder.Encode(symbols, bits);
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown stream codec");
        }
    }

    public static ISymbolReader OpenReader(StreamCodec codec, ReadOnlyMemory<byte> data, long count, int bits, DecodeWorkspace workspace) => codec switch
    {
        StreamCodec.Stored => new PackedReader(new SpanByteSource(data, PackedLength(count, bits)), count, bits),
        StreamCodec.Zstd => new PackedReader(new ZstdByteSource(data, workspace.RentDecompressor(), PackedLength(count, bits)), count, bits),
        StreamCodec.RangeOrder0 or StreamCodec.RangeOrder1 => new RangeReader(new RangeDecoder(data), workspace.RentModel(bits, codec == StreamCodec.RangeOrder1), count),
        StreamCodec.Rans => RansCoder.Open(data, count, bits),
        StreamCodec.RangeSigned => new SignedRangeReader(new RangeDecoder(data), bits, count),
        StreamCodec.RansOrder1 => RansOrder1Coder.Open(data, count, bits),
        _ => throw new ArtifactException($"unknown stream codec {(byte)codec}"),
    };

    /// <summary>
    /// Decodes a whole stream into one byte per symbol, with the same checks as <see cref="OpenReader"/> but in
    /// bulk (the delta paths decode whole tensors).
    /// </summary>
    public static byte[] DecodeAll(StreamCodec codec, ReadOnlyMemory<byte> data, long count, int bits, DecodeWorkspace workspace)
    {
        var symbols = new byte[count];
        switch (codec)
        {
            case StreamCodec.Stored:
                if (data.Length != PackedLength(count, bits))
                {
                    throw new ArtifactException($"a stored stream is {data.Length} bytes, its symbols need {PackedLength(count, bits)}");
                }
                Unpack(data.Span, symbols, bits);
                break;
            case StreamCodec.Zstd:
                var packed = new byte[PackedLength(count, bits)];
                int written;
                try
                {
                    if (!workspace.RentDecompressor().TryUnwrap(data.Span, packed, out written))
                    {
                        throw new ArtifactException($"a zstd stream decodes to more than the {packed.Length} bytes declared");
                    }
                }
                catch (ZstdException ex)
                {
                    throw new ArtifactException($"a zstd stream is corrupt ({ex.Message})", ex);
                }
                if (written != packed.Length)
                {
                    throw new ArtifactException("a zstd stream has trailing bytes or the wrong length");
                }
                Unpack(packed, symbols, bits);
                break;
            case StreamCodec.RangeOrder0:
            case StreamCodec.RangeOrder1:
                RangeCoding.Decode(data.Span, symbols, bits, codec == StreamCodec.RangeOrder1, workspace.RentTable());
                break;
            case StreamCodec.Rans:
                RansCoder.Decode(data, symbols, bits);
                break;
            case StreamCodec.RangeSigned:
                SignedRangeCoding.Decode(data.Span, symbols, bits);
                break;
            case StreamCodec.RansOrder1:
                RansOrder1Coder.Decode(data, symbols, bits);
                break;
            default:
                throw new ArtifactException($"unknown stream codec {(byte)codec}");
        }
        return symbols;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpack(ReadOnlySpan<byte> packed, Span<byte> symbols, int bits)
    {
        if (bits == 8)
        {
            packed.CopyTo(symbols);
            return;
        }
        var mask = (1 << bits) - 1;
        long bit = 0;
        for (var i = 0; i < symbols.Length; i++, bit += bits)
        {
            // A symbol may straddle two bytes (3-bit codes); read 16 bits where they exist.
            var index = (int)(bit >> 3);
            var word = packed[index] | (index + 1 < packed.Length ? packed[index + 1] << 8 : 0);
            symbols[i] = (byte)((word >> (int)(bit & 7)) & mask);
        }
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

    public SymbolModel RentModel(int bits, bool order1) => new(bits, order1, RentTable());

    /// <summary>A probability table big enough for any stream (8-bit, order 1), reused between tensors.</summary>
    public ushort[] RentTable()
    {
        if (_nextTable == _tables.Count)
        {
            _tables.Add(new ushort[SymbolModel.TableSize(8, true)]);
        }
        return _tables[_nextTable++];
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
    /// <param name="level">Defaults to <see cref="StreamCoder.ZstdLevel"/>; the delta encoder's few-hundred-byte front
    /// matter uses a middle level, where 19 gains a few bytes at most and costs a sizeable share of an encode.</param>
    public static byte[] Compress(ReadOnlySpan<byte> data, ReadOnlySpan<byte> dictionary, int level = StreamCoder.ZstdLevel)
    {
        using var compressor = new Compressor(level);
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
