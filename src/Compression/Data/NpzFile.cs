using System.IO.Compression;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Reads NumPy <c>.npz</c> archives: a zip of <c>NAME.npy</c> entries, stored (<c>numpy.savez</c>) or deflated
/// (<c>numpy.savez_compressed</c>). The zip's declared sizes are never trusted: bytes are counted as they
/// decompress, against a bound on the whole archive, and the number of entries is bounded too.
/// </summary>
public static class NpzFile
{
    public const int MaxEntries = 1024;

    /// <summary>Most bytes all entries together may decompress to (1 GiB).</summary>
    public const long MaxDecompressedBytes = 1L << 30;

    private const string EntrySuffix = ".npy";

    /// <summary>The archive's arrays in entry order, named without the <c>.npy</c> suffix.</summary>
    public static IReadOnlyList<(string Name, NpyArray Array)> Read(string path, long maxDecompressedBytes = MaxDecompressedBytes)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NPZ file not found: {path}", path);
        }
        using var file = File.OpenRead(path);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(file, ZipArchiveMode.Read);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: not a readable zip archive ({ex.Message})", ex);
        }
        using (archive)
        {
            if (archive.Entries.Count > MaxEntries)
            {
                throw new InvalidDataException($"{path}: holds {archive.Entries.Count} entries, over the {MaxEntries}-entry limit");
            }
            var budget = new DecompressionBudget(maxDecompressedBytes);
            var arrays = new List<(string, NpyArray)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in archive.Entries)
            {
                if (!entry.FullName.EndsWith(EntrySuffix, StringComparison.Ordinal) || entry.FullName.Length == EntrySuffix.Length)
                {
                    throw new InvalidDataException($"{path}: entry '{entry.FullName}' is not an array (an NPZ holds only NAME.npy entries)");
                }
                var name = entry.FullName[..^EntrySuffix.Length];
                if (!names.Add(name))
                {
                    throw new InvalidDataException($"{path}: array '{name}' appears twice");
                }
                arrays.Add((name, ReadEntry(entry, budget, $"{path}, array '{name}'")));
            }
            return arrays;
        }
    }

    private static NpyArray ReadEntry(ZipArchiveEntry entry, DecompressionBudget budget, string label)
    {
        try
        {
            using var stream = new BudgetedStream(OpenEntry(entry, label), budget);
            var array = NpyFile.Read(stream, label);
            return budget.Exceeded ? throw budget.Error(label) : array;
        }
        catch (InvalidDataException) when (budget.Exceeded)
        {
            throw budget.Error(label);
        }
    }

    private static Stream OpenEntry(ZipArchiveEntry entry, string label)
    {
        try
        {
            return entry.Open();
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            throw new InvalidDataException($"{label}: the zip entry cannot be opened ({ex.Message})", ex);
        }
    }

    private sealed class DecompressionBudget(long limit)
    {
        private long _spent;

        public long Remaining => limit - _spent;

        public bool Exceeded { get; private set; }

        public void Spend(int bytes)
        {
            _spent += bytes;
            Exceeded |= _spent > limit;
        }

        public InvalidDataException Error(string label) =>
            new($"{label}: the archive decompresses to more than {limit} bytes, the limit for one NPZ file");
    }

    /// <summary>Counts decompressed bytes against the archive's budget and reports end of data once it is spent.</summary>
    private sealed class BudgetedStream(Stream inner, DecompressionBudget budget) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (budget.Exceeded)
            {
                return 0;
            }
            // One byte past the budget is enough to know it is exceeded.
            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, budget.Remaining + 1)]);
            budget.Spend(read);
            return budget.Exceeded ? 0 : read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
