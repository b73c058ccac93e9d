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

/// <summary>Carry-less binary range encoder (the LZMA construction) over adaptive bit probabilities.</summary>
internal sealed class RangeEncoder
{
    private const uint TopValue = 1 << 24;

    private readonly MemoryStream _output = new();
    private ulong _low;
    private uint _range = uint.MaxValue;
    private byte _cache;
    private long _cacheSize = 1;

    public void Encode(SymbolModel model, int symbol)
    {
        var treeBase = model.TreeBase;
        var node = 1;
        for (var i = model.Bits - 1; i >= 0; i--)
        {
            var bit = (symbol >> i) & 1;
            var bound = (_range >> SymbolModel.ProbabilityBits) * model.Probability(treeBase + node);
            if (bit == 0)
            {
                _range = bound;
            }
            else
            {
                _low += bound;
                _range -= bound;
            }
            model.Update(treeBase + node, bit);
            while (_range < TopValue)
            {
                _range <<= 8;
                ShiftLow();
            }
            node = (node << 1) | bit;
        }
        model.Seen(symbol);
    }

    public byte[] Finish()
    {
        for (var i = 0; i < 5; i++)
        {
            ShiftLow();
        }
        return _output.ToArray();
    }

    private void ShiftLow()
    {
        if ((uint)_low < 0xFF000000u || (_low >> 32) != 0)
        {
            var carry = (byte)(_low >> 32);
            var pending = _cache;
            do
            {
                _output.WriteByte((byte)(pending + carry));
                pending = 0xFF;
            }
            while (--_cacheSize != 0);
            _cache = (byte)((uint)_low >> 24);
        }
        _cacheSize++;
        _low = (_low & 0x00FFFFFF) << 8;
    }
}

/// <summary>Decodes what <see cref="RangeEncoder"/> wrote; input that runs out is an error, never a hang.</summary>
internal sealed class RangeDecoder
{
    private const uint TopValue = 1 << 24;

    /// <summary>The encoder's flush writes 5 bytes; a correct stream is never read further than that.</summary>
    private const int MaxOverrun = 5;

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

    private uint NextByte()
    {
        if (_position < _input.Length)
        {
            return _input.Span[_position++];
        }
        if (++_position > _input.Length + MaxOverrun)
        {
            throw new ArtifactException("a range-coded stream ends before all its symbols were decoded");
        }
        return 0;
    }
}
