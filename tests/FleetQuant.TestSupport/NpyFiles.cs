namespace FleetQuant.TestSupport;

/// <summary>
/// NPY 1.0 bytes of a float32 array, laid out as numpy writes it (header padded to 64 bytes), for tests whose subject
/// is not the reader (uploads, grains). The readers themselves are tested against files numpy wrote.
/// </summary>
public static class NpyFiles
{
    public static byte[] Floats(int[] shape, float[]? values = null)
    {
        values ??= new float[shape.Aggregate(1, (a, d) => a * d)];
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        var header = dict + new string(' ', (64 - ((10 + dict.Length + 1) % 64)) % 64) + "\n";
        using var buffer = new MemoryStream();
        buffer.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        buffer.Write(BitConverter.GetBytes((ushort)header.Length));
        buffer.Write(System.Text.Encoding.ASCII.GetBytes(header));
        buffer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return buffer.ToArray();
    }
}
