using System.Text.Json;

namespace FleetQuant.Cli.Operator;

/// <summary>
/// Where the operator verbs find the server and the token: flags first, then <c>FLEETQUANT_SERVER</c> /
/// <c>FLEETQUANT_TOKEN</c>, then the config file (<c>~/.config/fleetquant/config.json</c>, or <c>$FLEETQUANT_CONFIG</c>),
/// then the all-in-one default address. A token has no default: the API refuses every call without one.
/// </summary>
public sealed record OperatorSettings(Uri Server, string Token)
{
    public const string ServerVariable = "FLEETQUANT_SERVER";
    public const string TokenVariable = "FLEETQUANT_TOKEN";
    public const string ConfigVariable = "FLEETQUANT_CONFIG";
    public const string DefaultServer = "http://127.0.0.1:5080";

    private const long MaxConfigBytes = 64 * 1024;

    /// <summary>Resolves the settings; <paramref name="environment"/> reads a variable (defaults to the process environment).</summary>
    public static OperatorSettings Resolve(string? serverFlag, string? tokenFlag, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var configPath = ConfigPath(environment);
        var file = ReadConfig(configPath);
        var server = FirstSet(serverFlag, environment(ServerVariable), file.Server) ?? DefaultServer;
        var token = FirstSet(tokenFlag, environment(TokenVariable), file.Token)
            ?? throw new OperatorConfigException(
                $"no operator token: pass --token, set {TokenVariable}, or put {{\"token\": \"...\"}} in {configPath}");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new OperatorConfigException($"server '{server}' is not an http(s) URL, e.g. {DefaultServer}");
        }
        return new OperatorSettings(uri, token.Trim());
    }

    /// <summary>The config file consulted: <c>$FLEETQUANT_CONFIG</c>, else <c>$XDG_CONFIG_HOME/fleetquant/config.json</c>, else <c>~/.config/fleetquant/config.json</c>.</summary>
    public static string ConfigPath(Func<string, string?> environment)
    {
        if (environment(ConfigVariable) is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }
        var root = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(root, "fleetquant", "config.json");
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static ConfigFile ReadConfig(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new ConfigFile(null, null);
        }
        if (info.Length > MaxConfigBytes)
        {
            throw new OperatorConfigException($"config file {path} is {info.Length} bytes; expected a small JSON object {{\"server\", \"token\"}}");
        }
        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(path), ConfigJson) ?? new ConfigFile(null, null);
        }
        catch (JsonException ex)
        {
            throw new OperatorConfigException($"config file {path} is not valid JSON {{\"server\": \"...\", \"token\": \"...\"}}: {ex.Message}");
        }
    }

    private static readonly JsonSerializerOptions ConfigJson = new(JsonSerializerDefaults.Web) { MaxDepth = 4 };

    private sealed record ConfigFile(string? Server, string? Token);
}

/// <summary>The CLI cannot tell which server to call or with what token; the message says how to fix it.</summary>
public sealed class OperatorConfigException(string message) : Exception(message);
