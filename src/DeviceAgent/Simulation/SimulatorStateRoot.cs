using System.Globalization;
using Microsoft.Extensions.Logging;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>
/// The simulator's own directory for device state (under <c>/dev/shm</c> when there is one, so it costs RAM): named
/// <c>fq-sim-{pid}-{id}</c> and holding an <c>owner.lock</c> file locked (flock) for as long as the simulator runs. A
/// simulator killed with <c>kill -9</c> cannot delete it, but its lock goes with the process, so the next simulator
/// to start removes it; a live simulator's directory is never touched, because its lock cannot be taken.
/// </summary>
public sealed class SimulatorStateRoot : IDisposable
{
    public const string Prefix = "fq-sim-";
    public const string LockFileName = "owner.lock";

    private readonly FileStream _lock;

    private SimulatorStateRoot(string path, FileStream ownerLock)
    {
        Path = path;
        _lock = ownerLock;
    }

    public string Path { get; }

    /// <summary>Where state roots go by default: RAM (tmpfs) when the machine has it, else the temp directory.</summary>
    public static string DefaultParent => Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();

    /// <summary>Creates and locks a new state root under <paramref name="parent"/>.</summary>
    public static SimulatorStateRoot Create(string parent)
    {
        var path = System.IO.Path.Combine(parent, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return new SimulatorStateRoot(path, OpenLock(path) ?? throw new IOException($"cannot lock the new simulator state directory {path}"));
    }

    /// <summary>Removes the state roots under <paramref name="parent"/> whose simulator is gone; returns their paths.</summary>
    public static IReadOnlyList<string> RemoveStale(string parent, ILogger? logger = null)
    {
        var removed = new List<string>();
        if (!Directory.Exists(parent))
        {
            return removed;
        }
        foreach (var directory in Directory.EnumerateDirectories(parent, Prefix + "*"))
        {
            try
            {
                if (TryRemoveIfStale(directory))
                {
                    removed.Add(directory);
                    logger?.LogInformation("removed the state directory {Directory} of a simulator that is no longer running", directory);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's directory, or one being removed by a second simulator starting at the same time.
                logger?.LogDebug("left {Directory}: {Reason}", directory, ex.Message);
            }
        }
        return removed;
    }

    public void Dispose() => _lock.Dispose();

    private static bool TryRemoveIfStale(string directory)
    {
        var lockPath = System.IO.Path.Combine(directory, LockFileName);
        if (File.Exists(lockPath))
        {
            // Held while the owner runs; taking it means the owner is gone. Kept while deleting, so no one else races in.
            using var held = OpenLock(directory);
            if (held is null)
            {
                return false;
            }
            Directory.Delete(directory, recursive: true);
            return true;
        }
        // No lock file: an owner between creating the directory and locking it, or one from before lock files. Only a
        // pid in the name that no longer runs makes it stale.
        if (OwnerPid(directory) is { } pid && Directory.Exists("/proc") && !Directory.Exists($"/proc/{pid}"))
        {
            Directory.Delete(directory, recursive: true);
            return true;
        }
        return false;
    }

    private static int? OwnerPid(string directory)
    {
        var name = System.IO.Path.GetFileName(directory)[Prefix.Length..];
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static FileStream? OpenLock(string directory)
    {
        try
        {
            // FileShare.None takes an exclusive flock, like FreeTcpPorts' claims: released by the kernel when the process dies.
            return new FileStream(System.IO.Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
