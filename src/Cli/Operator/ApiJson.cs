using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetQuant.Cli.Operator;

/// <summary>Reads the operator API's JSON (web defaults, enums as strings) and re-indents it for <c>--json</c>.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        MaxDepth = 64,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A recipe whose accuracy is unknown is reported as NaN rather than failing the whole report.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    public static T Read<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new OperatorApiException($"the server answered null where a {typeof(T).Name} was expected");
        }
        catch (JsonException ex)
        {
            throw new OperatorApiException($"the server's answer is not a {typeof(T).Name}: {ex.Message}", inner: ex);
        }
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Indented);

    /// <summary>The server's JSON as it came, indented.</summary>
    public static string Pretty(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        return JsonSerializer.Serialize(document.RootElement, Indented);
    }
}
