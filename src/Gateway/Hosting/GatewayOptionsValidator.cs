using System.Net;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Hosting;

/// <summary>Rejects Gateway and broker settings that cannot work, naming the configuration key.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>, IValidateOptions<MqttOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var problems = new List<string>();
        if (options.MaxModelUploadBytes <= 0)
        {
            problems.Add($"{GatewayOptions.Section}:MaxModelUploadBytes must be positive.");
        }
        if (options.MaxJsonBodyBytes <= 0)
        {
            problems.Add($"{GatewayOptions.Section}:MaxJsonBodyBytes must be positive.");
        }
        if (options.MaxConcurrentGrainCalls <= 0)
        {
            problems.Add($"{GatewayOptions.Section}:MaxConcurrentGrainCalls must be positive.");
        }
        if (options.OperatorTokens.Any(t => string.IsNullOrWhiteSpace(t) || t.Length < 16))
        {
            problems.Add($"{GatewayOptions.Section}:OperatorTokens entries must be at least 16 characters.");
        }
        if (!string.IsNullOrEmpty(options.MetricsToken) && options.MetricsToken.Trim().Length < 16)
        {
            problems.Add($"{GatewayOptions.Section}:MetricsToken must be at least 16 characters when set.");
        }
        if (options.PublicMqttPort is < 1 or > 65535)
        {
            problems.Add($"{GatewayOptions.Section}:PublicMqttPort must be 1..65535.");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        var problems = new List<string>();
        if (options.IsEmbedded)
        {
            ValidateListenAddresses(options.ListenAddress, problems);
            if (options.Port is < 0 or > 65535)
            {
                problems.Add($"{MqttOptions.Section}:Port must be 0..65535 (0 picks a free port).");
            }
        }
        else
        {
            if (!BrokerEndpoint.TryParseHostPort(options.Broker, out _, out _))
            {
                problems.Add($"{MqttOptions.Section}:Broker must be 'embedded' or host:port, got '{options.Broker}'.");
            }
            if (string.IsNullOrEmpty(options.GatewaySecret))
            {
                problems.Add($"{MqttOptions.Section}:GatewaySecret must be set for an external broker (the same password as in its password_file).");
            }
        }
        if (string.IsNullOrWhiteSpace(options.GatewayUser))
        {
            problems.Add($"{MqttOptions.Section}:GatewayUser must not be empty.");
        }
        if (options.MaxMessageBytes <= 0)
        {
            problems.Add($"{MqttOptions.Section}:MaxMessageBytes must be positive.");
        }
        if (!(options.DeviceMessagesPerSecond > 0) || options.DeviceMessageBurst < 1)
        {
            problems.Add($"{MqttOptions.Section}:DeviceMessagesPerSecond must be positive and DeviceMessageBurst at least 1.");
        }
        if (options.MaxConnections < 1 || options.MaxPendingMessagesPerClient < 1)
        {
            problems.Add($"{MqttOptions.Section}:MaxConnections and MaxPendingMessagesPerClient must be at least 1.");
        }
        if (options.CredentialCacheTime < TimeSpan.Zero)
        {
            problems.Add($"{MqttOptions.Section}:CredentialCacheTime must not be negative.");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void ValidateListenAddresses(string value, List<string> problems)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var addresses = new List<IPAddress>();
        foreach (var part in parts)
        {
            if (IPAddress.TryParse(part, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                problems.Add($"{MqttOptions.Section}:ListenAddress '{part}' is not an IP address.");
            }
        }
        if (parts.Length == 0)
        {
            problems.Add($"{MqttOptions.Section}:ListenAddress must name at least one IP address.");
        }
        if (addresses.Count(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) > 1
            || addresses.Count(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) > 1)
        {
            problems.Add($"{MqttOptions.Section}:ListenAddress may hold at most one IPv4 and one IPv6 address (MQTTnet binds one of each).");
        }
    }
}
