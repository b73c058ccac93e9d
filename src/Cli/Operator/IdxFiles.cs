using System.IO.Compression;

namespace FleetQuant.Cli.Operator;

/// <summary>Reads IDX eval files for upload: the server takes raw IDX, so <c>.gz</c> files are expanded here, with a cap.</summary>
public static class IdxFiles
{
    /// <summary>Largest file after gunzip; the server's default upload cap is 256 MiB.</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    public static byte[] Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"eval file not found: {path}");
        }
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            return new FileInfo(path).Length <= MaxBytes ? File.ReadAllBytes(path) : throw new InvalidDataException($"{path} is over {MaxBytes} bytes");
        }
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = gzip.Read(chunk)) > 0)
        {
            // A hostile archive cannot expand without bound.
            if (buffer.Length + read > MaxBytes)
            {
                throw new InvalidDataException($"{path} expands beyond {MaxBytes} bytes");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
