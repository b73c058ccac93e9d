using System.Text.Json;

namespace FleetQuant.Observability.Tests.Support;

/// <summary>One provisioned Grafana dashboard file and the PromQL of its panels.</summary>
public sealed record GrafanaDashboard(string File, JsonElement Json)
{
    /// <summary>Grafana's built-in interval variables, replaced by what they stand for on a short test run.</summary>
    private static readonly (string Variable, string Value)[] BuiltIns =
    [
        ("$__rate_interval", "1m"),
        ("$__interval", "15s"),
        ("$__range", "5m"),
    ];

    public static string Directory => Path.Combine(RepositoryFiles.Root, "deploy", "grafana", "dashboards");

    public string Title => Json.GetProperty("title").GetString() ?? "";

    public static IReadOnlyList<GrafanaDashboard> LoadAll() =>
        System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal)
            .Select(f => new GrafanaDashboard(Path.GetFileName(f), JsonDocument.Parse(System.IO.File.ReadAllText(f)).RootElement.Clone()))
            .ToList();

    /// <summary>Every panel, including those nested in collapsed rows.</summary>
    public IEnumerable<JsonElement> Panels()
    {
        foreach (var panel in Json.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>(panel title, refId, expression with Grafana's interval variables resolved) for every Prometheus target.</summary>
    public IEnumerable<(string Panel, string RefId, string Expression)> Queries() =>
        from panel in Panels()
        where panel.TryGetProperty("targets", out _)
        from target in panel.GetProperty("targets").EnumerateArray()
        select (panel.GetProperty("title").GetString() ?? "", target.GetProperty("refId").GetString() ?? "", Resolve(target.GetProperty("expr").GetString() ?? ""));

    private static string Resolve(string expression)
    {
        foreach (var (variable, value) in BuiltIns)
        {
            expression = expression.Replace(variable, value, StringComparison.Ordinal);
        }
        return expression;
    }
}
