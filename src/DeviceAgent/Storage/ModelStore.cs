using System.Security.Cryptography;
using System.Text.Json;

namespace FleetQuant.DeviceAgent.Storage;

/// <summary>
/// The device's on-disk state: artifacts, decoded models and <c>state.json</c>. Every file is written to a temp
/// name, flushed to disk and renamed, and state.json is switched last, so a power cut at any point leaves a
/// state that points only at complete, verified files.
/// </summary>
public sealed class ModelStore
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly string _root;
    private readonly object _gate = new();

    public ModelStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(ArtifactsDir);
        Directory.CreateDirectory(ModelsDir);
        Directory.CreateDirectory(DownloadsDir);
        State = Load();
    }

    public AgentState State { get; private set; }

    private string ArtifactsDir => Path.Combine(_root, "artifacts");

    private string ModelsDir => Path.Combine(_root, "models");

    private string DownloadsDir => Path.Combine(_root, "downloads");

    private string StatePath => Path.Combine(_root, "state.json");

    public string ArtifactPath(string sha256) => Path.Combine(ArtifactsDir, sha256 + ".fqa");

    public string ModelPath(string sha256) => Path.Combine(ModelsDir, sha256 + ".onnx");

    public string DownloadPath(string sha256) => Path.Combine(DownloadsDir, sha256 + ".part");

    public void Update(Func<AgentState, AgentState> change)
    {
        lock (_gate)
        {
            var next = change(State);
            WriteAtomically(StatePath, JsonSerializer.SerializeToUtf8Bytes(next, JsonOptions));
            State = next;
        }
    }

    /// <summary>Stores a verified artifact and its decoded model; neither is used until <see cref="Activate"/>.</summary>
    public void Stage(string artifactSha256, ReadOnlySpan<byte> artifact, ReadOnlySpan<byte> onnx)
    {
        WriteAtomically(ArtifactPath(artifactSha256), artifact);
        WriteAtomically(ModelPath(artifactSha256), onnx);
    }

    /// <summary>Makes <paramref name="model"/> current and keeps the old current as previous (for rollback).</summary>
    public void Activate(InstalledModel model)
    {
        Update(s => s with
        {
            Current = model,
            Previous = s.Current?.ArtifactSha256 == model.ArtifactSha256 ? s.Previous : s.Current,
            LastAcceptedRelease = Math.Max(s.LastAcceptedRelease, model.Release),
            Download = null,
        });
        RemoveUnreferenced();
    }

    /// <summary>The model to boot: current when its files verify, else previous, else none.</summary>
    public InstalledModel? Bootable()
    {
        foreach (var candidate in new[] { State.Current, State.Previous })
        {
            if (candidate is not null && IsIntact(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public bool IsIntact(InstalledModel model)
    {
        var artifact = ArtifactPath(model.ArtifactSha256);
        if (!File.Exists(artifact) || !File.Exists(ModelPath(model.ArtifactSha256)))
        {
            return false;
        }
        using var stream = File.OpenRead(artifact);
        return Convert.ToHexStringLower(SHA256.HashData(stream)) == model.ArtifactSha256;
    }

    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private void RemoveUnreferenced()
    {
        var keep = new[] { State.Current?.ArtifactSha256, State.Previous?.ArtifactSha256 }.OfType<string>().ToHashSet();
        foreach (var file in Directory.EnumerateFiles(ArtifactsDir).Concat(Directory.EnumerateFiles(ModelsDir)))
        {
            if (!keep.Contains(Path.GetFileNameWithoutExtension(file)))
            {
                File.Delete(file);
            }
        }
    }

    private AgentState Load()
    {
        if (!File.Exists(StatePath))
        {
            return new AgentState();
        }
        try
        {
            return JsonSerializer.Deserialize<AgentState>(File.ReadAllBytes(StatePath), JsonOptions) ?? new AgentState();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"agent state {StatePath} is corrupt: {ex.Message}", ex);
        }
    }
}
