namespace FleetQuant.Silo.Hosting;

/// <summary>Settings of the silo host, bound from the <c>FleetQuant</c> configuration section.</summary>
public sealed class SiloHostOptions
{
    /// <summary>Configuration section the options are bound from.</summary>
    public const string SectionName = "FleetQuant";

    /// <summary>Directory for the SQLite database and the artifact store; relative paths are resolved from the working directory.</summary>
    public string DataDirectory { get; set; } = ".fq-data";

    /// <summary>Clustering and endpoint settings.</summary>
    public ClusterHostOptions Cluster { get; set; } = new();
}

/// <summary>Settings of the <c>FleetQuant:Cluster</c> section.</summary>
public sealed class ClusterHostOptions
{
    /// <summary><see cref="ClusterMode.Local"/> (default) or <see cref="ClusterMode.Redis"/>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Local;

    /// <summary>Redis endpoint (<c>host:port</c>, or a StackExchange.Redis configuration string); required in Redis mode.</summary>
    public string? Redis { get; set; }

    /// <summary>Orleans cluster id: silos with the same id form one cluster.</summary>
    public string ClusterId { get; set; } = "fleetquant";

    /// <summary>Orleans service id: the key prefix of grain state and reminders; keep it stable across deployments.</summary>
    public string ServiceId { get; set; } = "fleetquant";

    /// <summary>IP address the silo listens on and advertises to other silos. Loopback by default.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Port for silo-to-silo traffic.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (a separately hosted Gateway) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Running as a Kubernetes pod (Redis mode only): the silo takes its name and advertised IP from the pod
    /// (<c>POD_NAME</c>, <c>POD_IP</c> from the downward API) instead of <see cref="Address"/>, listens on every
    /// interface, and watches its fellow pods so a deleted pod's silo is declared dead at once.
    /// </summary>
    public bool Kubernetes { get; set; }
}
