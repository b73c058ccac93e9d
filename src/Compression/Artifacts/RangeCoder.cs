using System.Buffers;
using System.Runtime.CompilerServices;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Adaptive probabilities for symbols of up to 8 bits, coded MSB first down a binary tree. Each node mixes a
/// fast and a slow estimate: the fast one learns small tensors quickly, the slow one costs little on large
/// stationary ones (a single fast estimate loses ~3% to zstd's static Huffman tables there). With
/// <c>order1</c> the tree is chosen by what came before (the previous symbol, or the last 8 bits for 1-bit
/// streams), which catches runs in pruning masks and neighbouring codes.
/// </summary>
internal sealed class SymbolModel
{
    public const int ProbabilityBits = 16;
    private const int FastShift = 4;
    private const int SlowShift = 7;

    private readonly ushort[] _probabilities;
    private readonly int _bits;
    private readonly bool _order1;
    private int _history;

    public SymbolModel(int bits, bool order1)
        : this(bits, order1, new ushort[TableSize(bits, order1)])
    {
    }

    /// <summary>A model over a caller-owned table (reused between streams), reset to even odds.</summary>
    public SymbolModel(int bits, bool order1, ushort[] table)
    {
        _bits = bits;
        _order1 = order1;
        _probabilities = table;
        Array.Fill(_probabilities, (ushort)(1 << (ProbabilityBits - 1)), 0, TableSize(bits, order1));
    }

    /// <summary>Two estimates (fast, slow) per tree node.</summary>
    public static int TableSize(int bits, bool order1) => (!order1 ? 1 : bits == 1 ? 256 : 1 << bits) << (bits + 1);

    public int Bits => _bits;

    /// <summary>Index of the tree for the next symbol.</summary>
    public int TreeBase => _order1 ? (_history << _bits) : 0;

    /// <summary>Probability (of 2^16) that the node's next bit is 0.</summary>
    public uint Probability(int node) => ((uint)_probabilities[2 * node] + _probabilities[2 * node + 1]) >> 1;

    public void Update(int node, int bit)
    {
        Adapt(ref _probabilities[2 * node], bit, FastShift);
        Adapt(ref _probabilities[2 * node + 1], bit, SlowShift);
    }

    public void Seen(int symbol)
    {
        if (_order1)
        {
            _history = _bits == 1 ? ((_history << 1) | symbol) & 0xFF : symbol;
        }
    }

    private static void Adapt(ref ushort probability, int bit, int shift)
    {
        if (bit == 0)
        {
            probability += (ushort)(((1 << ProbabilityBits) - probability) >> shift);
        }
        else
        {
            probability -= (ushort)(probability >> shift);
        }
    }
}

/// <summary>Decodes, one symbol at a time, what <see cref="RangeCoding.Encode"/> wrote; input that runs out is an error, never a hang.</summary>
internal sealed class RangeDecoder
{
    private const uint TopValue = 1 << 24;

    private readonly ReadOnlyMemory<byte> _input;
    private int _position;
    private uint _range = uint.MaxValue;
    private uint _code;

    public RangeDecoder(ReadOnlyMemory<byte> input)
    {
        _input = input;
        for (var i = 0; i < 5; i++)
        {
            _code = (_code << 8) | NextByte();
        }
    }

    public int Decode(SymbolModel model)
    {
        var treeBase = model.TreeBase;
        var node = 1;
        for (var i = 0; i < model.Bits; i++)
        {
            var bound = (_range >> SymbolModel.ProbabilityBits) * model.Probability(treeBase + node);
            int bit;
            if (_code < bound)
            {
                _range = bound;
                bit = 0;
            }
            else
            {
                _code -= bound;
                _range -= bound;
                bit = 1;
            }
            model.Update(treeBase + node, bit);
            while (_range < TopValue)
            {
                _range <<= 8;
                _code = (_code << 8) | NextByte();
            }
            node = (node << 1) | bit;
        }
        var symbol = node - (1 << model.Bits);
        model.Seen(symbol);
        return symbol;
    }

    /// <summary>Decodes one bit under a (fast, slow) estimate pair and adapts it, as <see cref="RangeCoding.DecodeSigned"/> does.</summary>
    public int DecodeBit(ref ushort fast, ref ushort slow)
    {
        var bound = (_range >> SymbolModel.ProbabilityBits) * (((uint)fast + slow) >> 1);
        var bit = (int)((ulong)~((long)_code - bound) >> 63);
        var ones = (uint)-bit;
        _code -= bound & ones;
        _range = bound + (ones & (_range - bound - bound));
        RangeCoding.Adapt(ref fast, ref slow, (int)ones);
        while (_range < TopValue)
        {
            _range <<= 8;
            _code = (_code << 8) | NextByte();
        }
        return bit;
    }

    private uint NextByte() => RangeCoding.NextByte(_input.Span, ref _position);
}

/// <summary>
/// Whole-stream range coding with the same model as the streaming <see cref="RangeDecoder"/>,
/// in one tight loop over locals: the delta paths code whole tensors, where per-symbol calls cost several times more.
/// </summary>
internal static class RangeCoding
{
    private const uint TopValue = 1 << 24;
    private const int One = 1 << SymbolModel.ProbabilityBits;
    private const int FastShift = 4;
    private const int SlowShift = 7;

    /// <summary>The encoder's flush writes 5 bytes; a correct stream is never read further than that.</summary>
    private const int MaxOverrun = 5;

    // Hot loops: compiled optimized at once rather than after tiering, so even a single CLI call runs fast code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] Encode(ReadOnlySpan<byte> symbols, int bits, bool order1)
    {
        var table = new ushort[SymbolModel.TableSize(bits, order1)];
        Array.Fill(table, (ushort)(One >> 1));
        // Scratch from the pool: a long stream's would land on the large-object heap on every trial encode.
        var scratch = ArrayPool<byte>.Shared.Rent(symbols.Length * bits / 8 + 64);
        var output = scratch;
        var written = 0;
        ulong low = 0;
        var range = uint.MaxValue;
        byte cache = 0;
        long cacheSize = 1;
        var history = 0;
        foreach (var symbol in symbols)
        {
            var treeBase = order1 ? history << bits : 0;
            var node = 1;
            for (var i = bits - 1; i >= 0; i--)
            {
                var bit = (symbol >> i) & 1;
                var index = 2 * (treeBase + node);
                ref var fast = ref table[index];
                ref var slow = ref table[index + 1];
                var bound = (range >> SymbolModel.ProbabilityBits) * (((uint)fast + slow) >> 1);
                var ones = (uint)-bit;
                low += bound & ones;
                range = bound + (ones & (range - bound - bound));
                Adapt(ref fast, ref slow, (int)ones);
                while (range < TopValue)
                {
                    range <<= 8;
                    ShiftLow(ref low, ref cache, ref cacheSize, ref output, ref written);
                }
                node = (node << 1) | bit;
            }
            if (order1)
            {
                history = bits == 1 ? ((history << 1) | symbol) & 0xFF : symbol;
            }
        }
        for (var i = 0; i < 5; i++)
        {
            ShiftLow(ref low, ref cache, ref cacheSize, ref output, ref written);
        }
        var coded = output.AsSpan(0, written).ToArray();
        ArrayPool<byte>.Shared.Return(scratch);
        return coded;
    }

    /// <summary>Decodes <paramref name="output"/>.Length symbols; input that runs out is an <see cref="ArtifactException"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(ReadOnlySpan<byte> input, Span<byte> output, int bits, bool order1, ushort[] table)
    {
        Array.Fill(table, (ushort)(One >> 1), 0, SymbolModel.TableSize(bits, order1));
        var position = 0;
        var range = uint.MaxValue;
        uint code = 0;
        for (var i = 0; i < 5; i++)
        {
            code = (code << 8) | NextByte(input, ref position);
        }
        var history = 0;
        var top = 1 << bits;
        for (var s = 0; s < output.Length; s++)
        {
            var treeBase = order1 ? history << bits : 0;
            var node = 1;
            while (node < top)
            {
                var index = 2 * (treeBase + node);
                ref var fast = ref table[index];
                ref var slow = ref table[index + 1];
                var bound = (range >> SymbolModel.ProbabilityBits) * (((uint)fast + slow) >> 1);
                // Branch-free: code symbols are close to random, so a branch here mispredicts every other bit.
                var bit = (int)((ulong)~((long)code - bound) >> 63);
                var ones = (uint)-bit;
                code -= bound & ones;
                range = bound + (ones & (range - bound - bound));
                Adapt(ref fast, ref slow, (int)ones);
                node = (node << 1) | bit;
                while (range < TopValue)
                {
                    range <<= 8;
                    code = (code << 8) | NextByte(input, ref position);
                }
            }
            var symbol = node - top;
            output[s] = (byte)symbol;
            if (order1)
            {
                history = bits == 1 ? ((history << 1) | symbol) & 0xFF : symbol;
            }
        }
    }

    /// <summary>The same updates as <see cref="SymbolModel.Update"/>, selected by a mask (all ones: the bit was 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Adapt(ref ushort fast, ref ushort slow, int ones)
    {
        fast = (ushort)(fast + ((((One - fast) >> FastShift) & ~ones) - ((fast >> FastShift) & ones)));
        slow = (ushort)(slow + ((((One - slow) >> SlowShift) & ~ones) - ((slow >> SlowShift) & ones)));
    }

    /// <summary>The next input byte, zeros for the flush's last bytes, and an error past them: never a hang.</summary>
    internal static uint NextByte(ReadOnlySpan<byte> input, ref int position)
    {
        if (position < input.Length)
        {
            return input[position++];
        }
        if (++position > input.Length + MaxOverrun)
        {
            throw new ArtifactException("a range-coded stream ends before all its symbols were decoded");
        }
        return 0;
    }

    internal static void ShiftLow(ref ulong low, ref byte cache, ref long cacheSize, ref byte[] output, ref int written)
    {
        if ((uint)low < 0xFF000000u || (low >> 32) != 0)
        {
            var carry = (byte)(low >> 32);
            var pending = cache;
            do
            {
                if (written == output.Length)
                {
                    Array.Resize(ref output, output.Length * 2);
                }
                output[written++] = (byte)(pending + carry);
                pending = 0xFF;
            }
            while (--cacheSize != 0);
            cache = (byte)((uint)low >> 24);
        }
        cacheSize++;
        low = (low & 0x00FFFFFF) << 8;
    }
}
