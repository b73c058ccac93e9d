using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// Where the broker is: the embedded broker's address and actual port (a configured port 0 is resolved to a free
/// port once, at first use), or the configured external <c>host:port</c>.
/// </summary>
public sealed class BrokerEndpoint
{
    private readonly Lazy<(string Host, int Port)> _endpoint;

    public BrokerEndpoint(IOptions<MqttOptions> options)
    {
        var settings = options.Value;
        _endpoint = new Lazy<(string, int)>(() =>
        {
            if (!settings.IsEmbedded)
            {
                TryParseHostPort(settings.Broker, out var host, out var port);
                return (host!, port);
            }
            return (settings.ListenAddress, settings.Port == 0 ? FreePort(IPAddress.Parse(settings.ListenAddress)) : settings.Port);
        });
    }

    public string Host => _endpoint.Value.Host;

    public int Port => _endpoint.Value.Port;

    public static bool TryParseHostPort(string value, [NotNullWhen(true)] out string? host, out int port)
    {
        host = null;
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out port) || port is < 1 or > 65535)
        {
            return false;
        }
        host = value[..colon];
        return true;
    }

    private static int FreePort(IPAddress address)
    {
        // MQTTnet does not report the port it bound, so ask the OS for a free one and hand it to the broker.
        using var probe = new TcpListener(address, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
