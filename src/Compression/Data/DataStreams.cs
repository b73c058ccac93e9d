namespace FleetQuant.Compression.Data;

/// <summary>Reading the fixed-size parts of data files from streams that may be compressed (gzip, zip entries).</summary>
internal static class DataStreams
{
    /// <summary>
    /// Fills <paramref name="buffer"/>; a short read or corrupt compressed data is an <see cref="InvalidDataException"/>
    /// naming the file (<paramref name="label"/>), its <paramref name="format"/> and the part being read.
    /// </summary>
    public static void ReadExactly(Stream stream, byte[] buffer, string label, string format, string what)
    {
        int read;
        try
        {
            read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{label}: corrupt compressed data ({ex.Message})", ex);
        }
        if (read < buffer.Length)
        {
            throw new InvalidDataException($"{label}: {format} file is truncated in {what}");
        }
    }
}
