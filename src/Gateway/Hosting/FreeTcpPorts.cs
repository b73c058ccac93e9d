using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// Ports for servers a process starts a little later (a silo, Kestrel, a broker that cannot report the port it bound).
/// A port the OS hands out for port 0 comes from the ephemeral range, where any outgoing connection made before the
/// server binds can take it; so ports are picked outside that range, checked bindable, and claimed with a lock file
/// held for the process lifetime, so neither this process nor another FleetQuant process on the machine picks it again.
/// </summary>
public static class FreeTcpPorts
{
    private const int LowestCandidate = 20000;
    private const int Attempts = 2000;
    private static readonly List<FileStream> Claims = [];

    /// <summary>Where the claim files live: one per claimed port, locked while its claimer runs.</summary>
    public static string ClaimDirectory { get; } = Path.Combine(Path.GetTempPath(), $"fleetquant-ports-{Environment.UserName}");

    public static int Claim() => Claim(IPAddress.Loopback);

    public static int Claim(IPAddress address)
    {
        var (low, high) = CandidateRange();
        lock (Claims)
        {
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                var port = Random.Shared.Next(low, high + 1);
                if (TryClaim(port) is { } claim)
                {
                    if (IsBindable(address, port))
                    {
                        Claims.Add(claim);
                        return port;
                    }
                    claim.Dispose();
                }
            }
        }
        throw new InvalidOperationException($"no free TCP port on {address} in {low}–{high} after {Attempts} attempts");
    }

    /// <summary>Ports below the kernel's ephemeral range, else above it, else (no room either side) any unprivileged one.</summary>
    private static (int Low, int High) CandidateRange()
    {
        const int Room = 1000;
        var (ephemeralLow, ephemeralHigh) = EphemeralRange();
        if (ephemeralLow - LowestCandidate >= Room)
        {
            return (LowestCandidate, ephemeralLow - 1);
        }
        return 65535 - ephemeralHigh >= Room ? (ephemeralHigh + 1, 65535) : (1024, 65535);
    }

    private static (int Low, int High) EphemeralRange()
    {
        const string Path = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(Path))
        {
            var fields = File.ReadAllText(Path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && int.TryParse(fields[0], out var low) && int.TryParse(fields[1], out var high))
            {
                return (low, high);
            }
        }
        return (49152, 65535); // IANA's dynamic range, which Windows and macOS use
    }

    private static FileStream? TryClaim(int port)
    {
        Directory.CreateDirectory(ClaimDirectory);
        try
        {
            // FileShare.None takes an exclusive flock: held by another process (or this one) until its handle closes.
            return new FileStream(Path.Combine(ClaimDirectory, port.ToString(CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsBindable(IPAddress address, int port)
    {
        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
