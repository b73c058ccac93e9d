using System.Diagnostics.CodeAnalysis;
using System.Net;
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
            // The first listen address is where the bridge (and provisioning, unless overridden) connects.
            var first = settings.ListenAddresses()[0];
            return (first.ToString(), settings.Port == 0 ? FreeTcpPorts.Claim(first) : settings.Port);
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
}
