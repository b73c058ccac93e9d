using System.Diagnostics;
using FleetQuant.DeviceAgent.Simulation;

namespace FleetQuant.DeviceAgent.Tests;

public sealed class SimulatorStateRootTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "fq-state-root-tests", Guid.NewGuid().ToString("N"));

    public SimulatorStateRootTests() => Directory.CreateDirectory(_parent);

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public void RemoveStale_RemovesTheDirectoryOfADeadSimulator_AndKeepsALiveOne()
    {
        using var live = SimulatorStateRoot.Create(_parent);
        File.WriteAllText(Path.Combine(live.Path, "device-state"), "live");
        // A killed simulator: its lock file is still there, but no process holds it any more.
        var dead = SimulatorStateRoot.Create(_parent);
        File.WriteAllText(Path.Combine(dead.Path, "device-state"), "stale");
        dead.Dispose();

        var removed = SimulatorStateRoot.RemoveStale(_parent);

        Assert.Equal([dead.Path], removed);
        Assert.False(Directory.Exists(dead.Path));
        Assert.True(File.Exists(Path.Combine(live.Path, "device-state")));
    }

    [Fact]
    public void RemoveStale_JudgesADirectoryWithoutALockByItsPid()
    {
        var deadPid = ExitedProcessId();
        var ofDeadProcess = Directory.CreateDirectory(Path.Combine(_parent, $"{SimulatorStateRoot.Prefix}{deadPid}-{Guid.NewGuid():N}")).FullName;
        // Created but not locked yet: a simulator that is starting right now.
        var ofThisProcess = Directory.CreateDirectory(Path.Combine(_parent, $"{SimulatorStateRoot.Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        // Nothing says who owns it: kept rather than risk a live simulator's state.
        var withoutOwner = Directory.CreateDirectory(Path.Combine(_parent, $"{SimulatorStateRoot.Prefix}{Guid.NewGuid():N}")).FullName;

        SimulatorStateRoot.RemoveStale(_parent);

        Assert.Equal(!Directory.Exists("/proc"), Directory.Exists(ofDeadProcess));
        Assert.True(Directory.Exists(ofThisProcess));
        Assert.True(Directory.Exists(withoutOwner));
    }

    [Fact]
    public void RemoveStale_LeavesDirectoriesWithoutTheSimulatorPrefix()
    {
        var other = Directory.CreateDirectory(Path.Combine(_parent, "someone-else")).FullName;

        Assert.Empty(SimulatorStateRoot.RemoveStale(_parent));
        Assert.True(Directory.Exists(other));
    }

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
