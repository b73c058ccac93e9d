using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FleetQuant.Gateway.Hosting;

namespace FleetQuant.Gateway.Tests;

public sealed class FreeTcpPortsTests
{
    [Fact]
    public void ClaimedPorts_AreDistinct_Bindable_AndOutsideTheEphemeralRange()
    {
        var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var (ephemeralLow, ephemeralHigh) = (int.Parse(range[0]), int.Parse(range[1]));

        var ports = Enumerable.Range(0, 50).Select(_ => FreeTcpPorts.Claim()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.True(port < ephemeralLow || port > ephemeralHigh, $"{port} is in the ephemeral range {ephemeralLow}–{ephemeralHigh}"));
        foreach (var port in ports)
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }

    [Fact]
    public async Task ClaimedPort_IsLockedAgainstOtherProcesses()
    {
        var port = FreeTcpPorts.Claim();
        var claimFile = Path.Combine(FreeTcpPorts.ClaimDirectory, port.ToString());

        // util-linux flock(1) takes the same flock(2) lock another FleetQuant process would: -n fails at once when held.
        using var other = Process.Start(new ProcessStartInfo("flock", ["-n", claimFile, "true"]))!;
        await other.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, other.ExitCode);
    }
}
