using System.IO.Compression;
using FleetQuant.Compression.Data;

namespace FleetQuant.Cli.Operator;

/// <summary>
/// The files a data set travels in to the server, from any path <c>--data</c> takes: a <c>.npy</c> or <c>.npz</c> file
/// as it is, an IDX images file (or a directory holding a pair) with its labels file, or ONNX test data zipped
/// (<c>test_data_set_N/…</c> entries). The server reads them with the same loaders the offline verbs use.
/// </summary>
public static class DataUpload
{
    /// <summary>Bytes one data set may take; the server's default upload cap is 256 MiB.</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    public static IReadOnlyList<(string Name, byte[] Bytes)> Files(string path)
    {
        if (Directory.Exists(path) && OnnxTestData.IsTestData(path))
        {
            return [("onnx-test-data.zip", ZipTestData(path))];
        }
        if (File.Exists(path) && Path.GetExtension(path).ToLowerInvariant() is ".npy" or ".npz")
        {
            return [(Path.GetFileName(path), Read(path))];
        }
        var (images, labels) = EvalSetFile.ResolvePair(path);
        return [(Path.GetFileName(images), Read(images)), (Path.GetFileName(labels), Read(labels))];
    }

    private static byte[] Read(string path) =>
        new FileInfo(path).Length <= MaxBytes ? File.ReadAllBytes(path) : throw new InvalidDataException($"{path} is over {MaxBytes} bytes");

    /// <summary>One set directory, or a folder of <c>test_data_set_N</c> directories, as a zip of their <c>.pb</c> files.</summary>
    private static byte[] ZipTestData(string path)
    {
        var root = Path.GetFullPath(path);
        var sets = Directory.EnumerateFiles(root, "*.pb").Any() ? [root] : Directory.EnumerateDirectories(root, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var set in sets)
            {
                foreach (var file in Directory.EnumerateFiles(set, "*.pb").Order(StringComparer.Ordinal))
                {
                    var entry = zip.CreateEntry($"{Path.GetFileName(set)}/{Path.GetFileName(file)}", CompressionLevel.Fastest);
                    using var stream = entry.Open();
                    stream.Write(Read(file));
                    if (buffer.Length > MaxBytes)
                    {
                        throw new InvalidDataException($"{path}: the test data is over {MaxBytes} bytes");
                    }
                }
            }
        }
        return buffer.ToArray();
    }
}
