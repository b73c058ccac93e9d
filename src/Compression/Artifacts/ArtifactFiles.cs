namespace FleetQuant.Compression.Artifacts;

/// <summary>Writes output files so a reader never sees a half-written or failed artifact, model or delta.</summary>
public static class ArtifactFiles
{
    public static T WriteAtomically<T>(string path, Func<Stream, T> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            T result;
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                result = write(stream);
            }
            File.Move(temp, full, overwrite: true);
            return result;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static FileStream OpenRead(string path, string what) =>
        File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16) : throw new FileNotFoundException($"{what} not found: {path}");
}
