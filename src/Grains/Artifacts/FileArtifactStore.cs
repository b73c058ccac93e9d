using System.Security.Cryptography;
using FleetQuant.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Artifacts;

/// <summary>
/// Artifacts as files named by their SHA-256 under a data directory (fanned out by the first two hex digits).
/// Writes go to a temp file that is flushed to disk and then renamed, so a crash never leaves a partial
/// artifact under a real name.
/// </summary>
public sealed class FileArtifactStore : IArtifactStore
{
    private readonly string _root;
    private readonly string _tempDir;

    public FileArtifactStore(IOptions<ArtifactStoreOptions> options)
        : this(options.Value.Path)
    {
    }

    public FileArtifactStore(string root)
    {
        _root = Path.GetFullPath(root);
        _tempDir = Path.Combine(_root, "tmp");
        Directory.CreateDirectory(_tempDir);
    }

    public async Task<string> PutAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        var hash = ContentHash.Of(bytes.Span);
        var path = PathOf(hash);
        if (File.Exists(path))
        {
            return hash;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(_tempDir, $"{hash}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await stream.WriteAsync(bytes, cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another writer stored the same content first; identical bytes, nothing to do.
            }
        }
        finally
        {
            File.Delete(temp);
        }
        return hash;
    }

    public async Task<byte[]> ReadAsync(string hash, CancellationToken cancellationToken = default)
    {
        var path = ExistingPathOf(hash);
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        var actual = ContentHash.Of(bytes);
        if (actual != hash)
        {
            throw new ArtifactCorruptException(hash, actual);
        }
        return bytes;
    }

    public async Task<Stream> OpenReadAsync(string hash, CancellationToken cancellationToken = default)
    {
        var path = ExistingPathOf(hash);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        try
        {
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            if (actual != hash)
            {
                throw new ArtifactCorruptException(hash, actual);
            }
            stream.Position = 0;
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    public bool Exists(string hash) => File.Exists(PathOf(hash));

    public long? GetSize(string hash)
    {
        var info = new FileInfo(PathOf(hash));
        return info.Exists ? info.Length : null;
    }

    private string ExistingPathOf(string hash)
    {
        var path = PathOf(hash);
        if (!File.Exists(path))
        {
            throw new ArtifactNotFoundException(hash);
        }
        return path;
    }

    private string PathOf(string hash)
    {
        ContentHash.Validate(hash);
        return Path.Combine(_root, hash[..2], hash);
    }
}
