using System.ComponentModel.DataAnnotations;
using System.Net;
using StackExchange.Redis;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// How silos and a separately hosted Gateway find the cluster. Bound from <c>FleetQuant:Cluster</c> by both, so they
/// agree on the keys and the defaults; it lives with the Gateway because the silo references the Gateway, not the reverse.
/// </summary>
public sealed class ClusterHostOptions : IValidatableObject
{
    public const string Section = "FleetQuant:Cluster";

    /// <summary><see cref="ClusterMode.Local"/> (default) or <see cref="ClusterMode.Redis"/>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Local;

    /// <summary>Redis endpoint (<c>host:port</c>, or a StackExchange.Redis configuration string); required in Redis mode.</summary>
    public string? Redis { get; set; }

    /// <summary>Orleans cluster id: silos with the same id form one cluster.</summary>
    [Required(ErrorMessage = Section + ":ClusterId must not be empty.")]
    public string ClusterId { get; set; } = "fleetquant";

    /// <summary>Orleans service id: the key prefix of grain state and reminders; keep it stable across deployments.</summary>
    [Required(ErrorMessage = Section + ":ServiceId must not be empty.")]
    public string ServiceId { get; set; } = "fleetquant";

    /// <summary>IP address the silo listens on and advertises to other silos. Loopback by default.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Port for silo-to-silo traffic.</summary>
    [Range(1, 65535, ErrorMessage = Section + ":SiloPort must be between {1} and {2}.")]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (a separately hosted Gateway) connect to.</summary>
    [Range(1, 65535, ErrorMessage = Section + ":GatewayPort must be between {1} and {2}.")]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Running as a Kubernetes pod (Redis mode only): the silo takes its name and advertised IP from the pod
    /// (<c>POD_NAME</c>, <c>POD_IP</c> from the downward API) instead of <see cref="Address"/>, listens on every
    /// interface, and watches its fellow pods so a deleted pod's silo is declared dead at once.
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>The Redis endpoint parsed (the validator has checked it in Redis mode).</summary>
    public ConfigurationOptions RedisConfiguration() => ConfigurationOptions.Parse(Redis!);

    /// <summary>Rules across keys, which the attributes cannot state.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Mode))
        {
            yield return new ValidationResult($"{Section}:Mode must be Local or Redis.", [nameof(Mode)]);
        }
        if (Mode == ClusterMode.Redis && RedisProblem() is { } problem)
        {
            yield return new ValidationResult(problem, [nameof(Redis)]);
        }
        if (Kubernetes && Mode != ClusterMode.Redis)
        {
            // Kubernetes hosting only names and addresses silos; membership and state still need the Redis cluster.
            yield return new ValidationResult($"{Section}:Kubernetes requires {Section}:Mode Redis.", [nameof(Kubernetes)]);
        }
        if (!IPAddress.TryParse(Address, out _))
        {
            yield return new ValidationResult($"{Section}:Address '{Address}' is not an IP address.", [nameof(Address)]);
        }
        if (SiloPort == GatewayPort)
        {
            yield return new ValidationResult($"{Section}:SiloPort and GatewayPort must differ (both {SiloPort}).", [nameof(SiloPort), nameof(GatewayPort)]);
        }
    }

    private string? RedisProblem()
    {
        if (string.IsNullOrWhiteSpace(Redis))
        {
            return $"{Section}:Redis must be set (host:port) when {Section}:Mode is Redis.";
        }
        try
        {
            return ConfigurationOptions.Parse(Redis).EndPoints.Count == 0 ? $"{Section}:Redis '{Redis}' names no endpoint; expected host:port." : null;
        }
        catch (ArgumentException ex)
        {
            return $"{Section}:Redis '{Redis}' is not a Redis endpoint: {ex.Message}";
        }
    }
}
