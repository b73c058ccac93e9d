namespace FleetQuant.Gateway.Hosting;

/// <summary>Operator API settings. Bound from <c>FleetQuant:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "FleetQuant:Gateway";

    /// <summary>Bearer tokens that may call <c>/api</c>; with none configured every API call is refused.</summary>
    public List<string> OperatorTokens { get; set; } = [];

    /// <summary>
    /// Bearer token a scrape of <c>/metrics</c> must present; unset, <c>/metrics</c> is open (it carries counts, never
    /// device ids or secrets) and reachable by whoever reaches the HTTP port.
    /// </summary>
    public string? MetricsToken { get; set; }

    /// <summary>Largest model upload (ONNX plus eval files) accepted; bigger requests get 413.</summary>
    public long MaxModelUploadBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest JSON request body accepted by the other API endpoints.</summary>
    public long MaxJsonBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>MQTT host devices are told to connect to at provisioning; defaults to the broker's address.</summary>
    public string? PublicMqttHost { get; set; }

    /// <summary>MQTT port devices are told at provisioning; defaults to the broker's port.</summary>
    public int? PublicMqttPort { get; set; }

    /// <summary>Grain calls the MQTT bridge runs at once; further device messages wait (backpressure on the broker).</summary>
    public int MaxConcurrentGrainCalls { get; set; } = 64;
}
