using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FleetQuant.Gateway.Hosting;
using FleetQuant.TestSupport;

namespace FleetQuant.Observability.Tests.Support;

/// <summary>
/// The real Prometheus (Debian's <c>prometheus</c> binary) on a free loopback port, started with the repository's
/// <c>deploy/prometheus/prometheus.yml</c> whose default target is swapped for the test host's address and, when the host
/// asks for a metrics token, whose commented <c>authorization</c> block is switched on with a file holding the token.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string DefaultTarget = "127.0.0.1:5080";

    /// <summary>The token file the shipped config names; the test writes its own and points the block there.</summary>
    public const string DefaultCredentialsFile = "/etc/prometheus/fleetquant-metrics-token";

    private static readonly string[] AuthorizationBlock = ["# authorization:", "#   type: Bearer", $"#   credentials_file: {DefaultCredentialsFile}"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fq-prometheus-tests", Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private Process? _process;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>What Prometheus printed (its errors explain a failed start).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string ConfigPath => Path.Combine(RepositoryFiles.Root, "deploy", "prometheus", "prometheus.yml");

    public async Task StartAsync(string target, string? metricsToken = null)
    {
        var config = await File.ReadAllTextAsync(ConfigPath);
        if (!config.Contains(DefaultTarget, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{ConfigPath} no longer targets {DefaultTarget}; the test cannot point it at its host");
        }
        Directory.CreateDirectory(_directory);
        config = config.Replace(DefaultTarget, target, StringComparison.Ordinal);
        if (metricsToken is not null)
        {
            var tokenFile = Path.Combine(_directory, "metrics-token");
            await File.WriteAllTextAsync(tokenFile, metricsToken);
            config = EnableAuthorization(config, tokenFile);
        }
        var configFile = Path.Combine(_directory, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, config);
        var port = FreeTcpPorts.Claim();
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            $"--config.file={configFile}",
            $"--storage.tsdb.path={Path.Combine(_directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("the prometheus binary is not installed: install the Debian package 'prometheus' (scripts/test does)", ex);
        }
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.Until(IsReadyAsync, ready => ready || _process.HasExited, "Prometheus to become ready", TimeSpan.FromSeconds(30));
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}: {Log}");
        }
    }

    /// <summary>Uncomments the documented bearer-token block, so the test scrapes exactly as an operator following it would.</summary>
    private static string EnableAuthorization(string config, string tokenFile)
    {
        var lines = config.Split('\n').ToList();
        var start = lines.FindIndex(l => l.Trim() == AuthorizationBlock[0]);
        if (start < 0 || start + AuthorizationBlock.Length > lines.Count
            || !AuthorizationBlock.Select((text, i) => lines[start + i].Trim() == text).All(same => same))
        {
            throw new InvalidOperationException($"{ConfigPath} no longer carries the commented block `{string.Join(" / ", AuthorizationBlock)}`; the test cannot switch the metrics token on");
        }
        for (var i = 0; i < AuthorizationBlock.Length; i++)
        {
            var line = lines[start + i];
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            // "    # authorization:" → "    authorization:" (the "# " goes, the indentation stays).
            lines[start + i] = line[..hash] + line[(hash + 2)..];
        }
        lines[start + 2] = lines[start + 2].Replace(DefaultCredentialsFile, tokenFile, StringComparison.Ordinal);
        return string.Join('\n', lines);
    }

    /// <summary>Evaluates an instant query; throws with Prometheus' own message when it does not parse or evaluate.</summary>
    public async Task<PromQueryResult> QueryAsync(string expression)
    {
        using var response = await Http.PostAsync("/api/v1/query", new FormUrlEncodedContent([new("query", expression)]));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused `{expression}`: {body.GetProperty("errorType").GetString()}: {body.GetProperty("error").GetString()}");
        }
        return PromQueryResult.From(body.GetProperty("data"));
    }

    /// <summary>Waits until Prometheus has scraped the FleetQuant job again, after the last scrape it had on entry.</summary>
    public async Task WaitForNextScrapeAsync(TimeSpan timeout)
    {
        const string LastScrape = """timestamp(up{job="fleetquant"})""";
        var before = await QueryAsync(LastScrape);
        var seen = before.Samples.Count == 1 ? before.Single() : double.MinValue;
        await Eventually.Until(() => QueryAsync(LastScrape), r => r.Samples.Count == 1 && r.Single() > seen, "Prometheus to scrape FleetQuant again", timeout);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync("/-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            if (_log.Length < 64 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }
}

/// <summary>An instant query's answer: the result type and its samples (labels and value), scalars as one unlabelled sample.</summary>
public sealed record PromQueryResult(string ResultType, IReadOnlyList<PromSample> Samples)
{
    public double Single() => Samples.Count == 1 ? Samples[0].Value : throw new InvalidOperationException($"expected one sample, got {Samples.Count}");

    public static PromQueryResult From(JsonElement data)
    {
        var type = data.GetProperty("resultType").GetString()!;
        var result = data.GetProperty("result");
        if (type is "scalar" or "string")
        {
            return new PromQueryResult(type, [new PromSample(new Dictionary<string, string>(), ParseValue(result))]);
        }
        var samples = new List<PromSample>();
        foreach (var item in result.EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            // Range vectors ("matrix") carry "values"; their last point stands for the series here.
            var value = item.TryGetProperty("value", out var v) ? v : item.GetProperty("values").EnumerateArray().Last();
            samples.Add(new PromSample(labels, ParseValue(value)));
        }
        return new PromQueryResult(type, samples);
    }

    private static double ParseValue(JsonElement pair) =>
        double.Parse(pair[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One series of a query result.</summary>
public sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value);
