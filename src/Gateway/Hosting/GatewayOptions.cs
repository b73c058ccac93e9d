using System.ComponentModel.DataAnnotations;

namespace FleetQuant.Gateway.Hosting;

/// <summary>Operator API settings. Bound from <c>FleetQuant:Gateway</c>.</summary>
public sealed class GatewayOptions : IValidatableObject
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
    [Range(1, long.MaxValue, ErrorMessage = Section + ":MaxModelUploadBytes must be positive.")]
    public long MaxModelUploadBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest JSON request body accepted by the other API endpoints.</summary>
    [Range(1, long.MaxValue, ErrorMessage = Section + ":MaxJsonBodyBytes must be positive.")]
    public long MaxJsonBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>MQTT host devices are told to connect to at provisioning; defaults to the broker's address.</summary>
    public string? PublicMqttHost { get; set; }

    /// <summary>MQTT port devices are told at provisioning; defaults to the broker's port.</summary>
    [Range(1, 65535, ErrorMessage = Section + ":PublicMqttPort must be between {1} and {2}.")]
    public int? PublicMqttPort { get; set; }

    /// <summary>Grain calls the MQTT bridge runs at once; further device messages wait (backpressure on the broker).</summary>
    [Range(1, 100_000, ErrorMessage = Section + ":MaxConcurrentGrainCalls must be between {1} and {2}.")]
    public int MaxConcurrentGrainCalls { get; set; } = 64;

    /// <summary>Token rules, which apply to each list entry and to an optional value and so are not attributes.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (OperatorTokens.Any(t => string.IsNullOrWhiteSpace(t) || t.Length < 16))
        {
            yield return new ValidationResult($"{Section}:OperatorTokens entries must be at least 16 characters.", [nameof(OperatorTokens)]);
        }
        if (!string.IsNullOrEmpty(MetricsToken) && MetricsToken.Trim().Length < 16)
        {
            yield return new ValidationResult($"{Section}:MetricsToken must be at least 16 characters when set.", [nameof(MetricsToken)]);
        }
    }
}
