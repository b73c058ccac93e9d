using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FleetQuant.Silo.Hosting;

/// <summary>Rejects host settings that cannot work, with one message per problem naming the configuration key.</summary>
public sealed class SiloHostOptionsValidator : IValidateOptions<SiloHostOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloHostOptions options)
    {
        var problems = new List<string>();
        var cluster = options.Cluster;
        const string Prefix = SiloHostOptions.SectionName;

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            problems.Add($"{Prefix}:DataDirectory must name a directory.");
        }

        if (!Enum.IsDefined(cluster.Mode))
        {
            problems.Add($"{Prefix}:Cluster:Mode must be Local or Redis.");
        }

        if (cluster.Mode == ClusterMode.Redis)
        {
            if (string.IsNullOrWhiteSpace(cluster.Redis))
            {
                problems.Add($"{Prefix}:Cluster:Redis must be set (host:port) when {Prefix}:Cluster:Mode is Redis.");
            }
            else
            {
                try
                {
                    if (ConfigurationOptions.Parse(cluster.Redis).EndPoints.Count == 0)
                    {
                        problems.Add($"{Prefix}:Cluster:Redis '{cluster.Redis}' names no endpoint; expected host:port.");
                    }
                }
                catch (ArgumentException ex)
                {
                    problems.Add($"{Prefix}:Cluster:Redis '{cluster.Redis}' is not a Redis endpoint: {ex.Message}");
                }
            }
        }

        if (cluster.Kubernetes && cluster.Mode != ClusterMode.Redis)
        {
            // Kubernetes hosting only names and addresses silos; membership and state still need the Redis cluster.
            problems.Add($"{Prefix}:Cluster:Kubernetes requires {Prefix}:Cluster:Mode Redis.");
        }

        if (string.IsNullOrWhiteSpace(cluster.ClusterId))
        {
            problems.Add($"{Prefix}:Cluster:ClusterId must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(cluster.ServiceId))
        {
            problems.Add($"{Prefix}:Cluster:ServiceId must not be empty.");
        }

        if (!IPAddress.TryParse(cluster.Address, out _))
        {
            problems.Add($"{Prefix}:Cluster:Address '{cluster.Address}' is not an IP address.");
        }

        ValidatePort(problems, $"{Prefix}:Cluster:SiloPort", cluster.SiloPort);
        ValidatePort(problems, $"{Prefix}:Cluster:GatewayPort", cluster.GatewayPort);
        if (cluster.SiloPort == cluster.GatewayPort)
        {
            problems.Add($"{Prefix}:Cluster:SiloPort and GatewayPort must differ (both {cluster.SiloPort}).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void ValidatePort(List<string> problems, string key, int port)
    {
        if (port is < 1 or > 65535)
        {
            problems.Add($"{key} must be between 1 and 65535, got {port}.");
        }
    }
}
