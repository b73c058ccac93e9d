using System.Security.Cryptography;
using FleetQuant.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Broker;

/// <summary>The Gateway's broker account: configured, or for the embedded broker a random secret made once per process.</summary>
public sealed class GatewayAccount(IOptions<MqttOptions> options)
{
    public string User { get; } = options.Value.GatewayUser;

    public string Secret { get; } = string.IsNullOrEmpty(options.Value.GatewaySecret)
        ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        : options.Value.GatewaySecret;
}
