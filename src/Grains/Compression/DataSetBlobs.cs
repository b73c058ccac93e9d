using System.IO.Compression;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Grains.Models;

namespace FleetQuant.Grains.Compression;

/// <summary>
/// Uploaded data sets as the server stores them: the uploaded files in one zip (entries sorted, no timestamps, so the
/// same upload gives the same bytes and hash), read back through the library's loaders (<see cref="DataSetFile"/>)
/// from a scratch directory. A <c>.zip</c> upload of ONNX test-data directories is stored expanded. Every size and
/// count is bounded before anything is allocated or written.
/// </summary>
public static class DataSetBlobs
{
    /// <summary>Files one data set may hold (a folder of ONNX test-data sets counts each <c>.pb</c>).</summary>
    public const int MaxFiles = 4096;

    /// <summary>Bytes a data set may expand to (the server holds it in memory while it packs): the size of 64 Mi floats.</summary>
    public const long MaxExpandedBytes = 256L << 20;

    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>One stored blob from the uploaded files; throws <see cref="InvalidDataException"/> for names or archives it cannot take.</summary>
    public static byte[] Pack(IReadOnlyList<DataFile> files)
    {
        if (files.Count is 0 or > MaxFiles)
        {
            throw new InvalidDataException($"a data set is 1 to {MaxFiles} files, got {files.Count}");
        }
        var entries = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        long total = 0;
        foreach (var file in files)
        {
            foreach (var (name, bytes) in Expand(file))
            {
                total += bytes.LongLength;
                if (entries.Count >= MaxFiles || total > MaxExpandedBytes)
                {
                    throw new InvalidDataException($"the data set expands past {MaxFiles} files or {MaxExpandedBytes} bytes");
                }
                if (!entries.TryAdd(name, bytes))
                {
                    throw new InvalidDataException($"the data set holds '{name}' twice");
                }
            }
        }
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
                entry.LastWriteTime = FixedTime;
                using var stream = entry.Open();
                stream.Write(bytes);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>Reads a stored blob as an evaluation set of <paramref name="signature"/>'s model.</summary>
    public static EvalSet Load(byte[] blob, ModelSignature signature, InputHints hints)
    {
        var directory = Directory.CreateTempSubdirectory("fleetquant-data-");
        try
        {
            var files = Extract(blob, directory.FullName);
            var path = files.Count == 1 && !files[0].Contains('/', StringComparison.Ordinal) && Path.GetExtension(files[0]) is ".npy" or ".npz"
                ? Path.Combine(directory.FullName, files[0])
                : directory.FullName;
            var set = DataSetFile.Load(path, signature).WithHints(hints);
            // The scratch path means nothing to an operator; messages name the upload instead.
            return new EvalSet(set.Inputs, set.Labels, set.References, "the uploaded data") { Hints = hints };
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static IEnumerable<(string Name, byte[] Bytes)> Expand(DataFile file)
    {
        var name = SafeName(file.Name);
        if (!name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            yield return (name, file.Bytes);
            yield break;
        }
        using var zip = OpenZip(file.Bytes, name);
        foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
        {
            yield return (SafePath(entry.FullName, name), ReadBounded(entry, name));
        }
    }

    private static List<string> Extract(byte[] blob, string directory)
    {
        using var zip = OpenZip(blob, "stored data set");
        var names = new List<string>();
        foreach (var entry in zip.Entries)
        {
            var relative = SafePath(entry.FullName, "stored data set");
            var target = Path.Combine(directory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, ReadBounded(entry, "stored data set"));
            names.Add(relative);
        }
        return names;
    }

    private static ZipArchive OpenZip(byte[] bytes, string name)
    {
        try
        {
            var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            return zip.Entries.Count <= MaxFiles ? zip : throw new InvalidDataException($"{name}: more than {MaxFiles} entries");
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{name}: not a readable zip archive ({ex.Message})", ex);
        }
    }

    /// <summary>An entry's bytes, read up to the bound whatever its header claims (a zip bomb stops at the bound).</summary>
    private static byte[] ReadBounded(ZipArchiveEntry entry, string archive)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (copy.Length + read > MaxExpandedBytes)
            {
                throw new InvalidDataException($"{archive}: entry '{entry.FullName}' expands past {MaxExpandedBytes} bytes");
            }
            copy.Write(chunk, 0, read);
        }
        return copy.ToArray();
    }

    /// <summary>A file name an upload may use: letters, digits, '.', '_', '-', not starting with '.' (so no path either).</summary>
    private static string SafeName(string name) =>
        name is { Length: > 0 and <= 128 } && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? name
            : throw new InvalidDataException($"data file name '{name}' must be 1-128 characters of A-Z a-z 0-9 . _ - (not starting with '.')");

    /// <summary>A relative path inside an archive: at most two safe segments (a test-data set and its file).</summary>
    private static string SafePath(string path, string archive)
    {
        var segments = path.Split('/');
        return segments.Length <= 2 && segments.All(s => s.Length > 0)
            ? string.Join('/', segments.Select(SafeName))
            : throw new InvalidDataException($"{archive}: entry '{path}' is not 'FILE' or 'DIRECTORY/FILE'");
    }
}
