using System.Numerics.Tensors;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Differences between two tensors in their coded domain. Codes and codebook indices differ by
/// <c>(target − base) mod 2^bits</c>; byte-valued tensors (floats, raw integers, sparse) by a zig-zag
/// integer difference of each element's bits, sent as a changed-element mask plus byte planes of the
/// non-zero differences. Small moves after fine-tuning become small, highly skewed symbols.
/// </summary>
internal static class SymbolDiff
{
    /// <summary>Whether <paramref name="target"/> can be described as a difference from <paramref name="source"/>.</summary>
    public static bool Compatible(TensorEntry source, TensorEntry target)
    {
        if (source.DataType != target.DataType || source.ElementCount != target.ElementCount || source.RawLength != target.RawLength)
        {
            return false;
        }
        return (source.Kind, target.Kind) switch
        {
            (TensorKind.Codes, TensorKind.Codes) => source.Bits == target.Bits && source.Layout == target.Layout,
            (TensorKind.Codebook, TensorKind.Codebook) => source.Bits == target.Bits,
            (TensorKind.Raw or TensorKind.Sparse, TensorKind.Raw or TensorKind.Sparse) =>
                target.ElementBytes is 1 or 2 or 4 or 8 && target.RawLength % target.ElementBytes == 0,
            _ => false,
        };
    }

    /// <summary>Shapes (count, bits) of the difference streams, known to both sides before any are read.</summary>
    public static StreamShape[] Shapes(TensorEntry target, long changed) => target.Kind switch
    {
        TensorKind.Codes or TensorKind.Codebook => [target.Shapes()[0]],
        _ => [new StreamShape(target.RawLength / target.ElementBytes, 1), .. Enumerable.Repeat(new StreamShape(changed, 8), target.ElementBytes)],
    };

    /// <summary>The difference streams of byte-valued tensors (raw, sparse): changed-element mask, then byte planes.</summary>
    public static byte[][] ByteDifferences(TensorEntry source, byte[][] sourceSymbols, TensorEntry target, byte[][] targetSymbols)
    {
        var width = target.ElementBytes;
        var baseRaw = Dense(source, sourceSymbols);
        var targetRaw = Dense(target, targetSymbols);
        var count = targetRaw.Length / width;
        var changedMask = new byte[count];
        var planes = Enumerable.Range(0, width).Select(_ => new List<byte>()).ToArray();
        for (var i = 0; i < count; i++)
        {
            var z = ZigZag(Read(targetRaw, i, width) - Read(baseRaw, i, width), width);
            if (z == 0)
            {
                continue;
            }
            changedMask[i] = 1;
            for (var j = 0; j < width; j++)
            {
                planes[j].Add((byte)(z >> (8 * j)));
            }
        }
        return [changedMask, .. planes.Select(p => p.ToArray())];
    }

    /// <summary>The difference stream of codes or codebook indices: (target − base) mod 2^bits, vectorized.</summary>
    public static void CodeDifferences(ReadOnlySpan<byte> source, ReadOnlySpan<byte> target, int bits, Span<byte> difference)
    {
        difference = difference[..target.Length];
        TensorPrimitives.Subtract(target, source[..target.Length], difference);
        TensorPrimitives.BitwiseAnd(difference, (byte)((1 << bits) - 1), difference);
    }

    /// <summary>Rebuilds the target's symbol streams from the base's and the differences.</summary>
    public static byte[][] Apply(TensorEntry source, byte[][] sourceSymbols, TensorEntry target, byte[][] diff)
    {
        if (target.Kind is TensorKind.Codes or TensorKind.Codebook)
        {
            var mask = (1 << target.Bits) - 1;
            var b = sourceSymbols[0];
            var d = diff[0];
            var t = new byte[d.Length];
            for (var i = 0; i < d.Length; i++)
            {
                t[i] = (byte)((b[i] + d[i]) & mask);
            }
            return [t];
        }

        var width = target.ElementBytes;
        var raw = Dense(source, sourceSymbols);
        var count = raw.Length / width;
        var k = 0;
        for (var i = 0; i < count; i++)
        {
            if (diff[0][i] == 0)
            {
                continue;
            }
            ulong z = 0;
            for (var j = 0; j < width; j++)
            {
                z |= (ulong)diff[j + 1][k] << (8 * j);
            }
            k++;
            Write(raw, i, width, Read(raw, i, width) + UnZigZag(z));
        }

        var nonZero = TensorStreams.CountNonZero(raw, width);
        if (target.Kind == TensorKind.Sparse && nonZero != target.NonZeroCount)
        {
            throw new DeltaException($"tensor '{target.Name}': patched tensor has {nonZero} non-zero elements, the target table says {target.NonZeroCount}");
        }
        return target.Kind == TensorKind.Sparse ? TensorStreams.Sparse(raw, width) : TensorStreams.Planes(raw, width);
    }

    /// <summary>Number of changed elements a difference's mask declares, so the plane shapes are known.</summary>
    public static long Changed(byte[] mask) => mask.LongCount(m => m != 0);

    /// <summary>A tensor's runtime bytes, rebuilt from its decoded symbol streams.</summary>
    public static byte[] Dense(TensorEntry entry, byte[][] symbols)
    {
        using var output = new MemoryStream((int)entry.RawLength);
        TensorStreams.Emit(entry, symbols.Select(s => (ISymbolReader)new ArraySymbolReader(s)).ToArray(), output,
            new byte[Math.Clamp(entry.RawLength, 1, TensorStreams.ChunkBytes)]);
        return output.ToArray();
    }

    private static ulong Read(byte[] raw, int index, int width)
    {
        ulong value = 0;
        for (var j = 0; j < width; j++)
        {
            value |= (ulong)raw[index * width + j] << (8 * j);
        }
        return value;
    }

    private static void Write(byte[] raw, int index, int width, ulong value)
    {
        for (var j = 0; j < width; j++)
        {
            raw[index * width + j] = (byte)(value >> (8 * j));
        }
    }

    private static ulong ZigZag(ulong difference, int width)
    {
        var shift = 64 - 8 * width;
        var signed = (long)(difference << shift) >> shift;
        var z = (ulong)((signed << 1) ^ (signed >> 63));
        return shift == 0 ? z : z & ((1UL << (8 * width)) - 1);
    }

    private static ulong UnZigZag(ulong z) => (z >> 1) ^ (ulong)-(long)(z & 1);
}
