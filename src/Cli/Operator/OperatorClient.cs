using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FleetQuant.Cli.Operator;

/// <summary>
/// The operator REST API over HTTP: bearer token on every call, answers as JSON text, and every failure (no
/// connection, timeout, refused token, ProblemDetails from the server) as an <see cref="OperatorApiException"/> with
/// one line an operator can act on.
/// </summary>
public sealed class OperatorClient : IDisposable
{
    /// <summary>Largest answer read; a listing of 1,000 devices is far below it.</summary>
    public const int MaxResponseBytes = 64 * 1024 * 1024;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);
    private readonly HttpClient _http;
    private readonly Uri _server;

    public OperatorClient(OperatorSettings settings, HttpMessageHandler? handler = null)
    {
        _server = settings.Server;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = settings.Server;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.MaxResponseContentBufferSize = MaxResponseBytes;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public Uri Server => _server;

    public Task<string> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), DefaultTimeout, cancellationToken);

    public Task<string> PostJsonAsync<T>(string path, T body, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body, ApiJson.Options), Encoding.UTF8, "application/json"),
        }, DefaultTimeout, cancellationToken);

    /// <summary>Posts a multipart form (model upload); large bodies get a longer timeout.</summary>
    public Task<string> PostFormAsync(string path, Func<MultipartFormDataContent> form, TimeSpan timeout, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = form() }, timeout, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<string> SendAsync(Func<HttpRequestMessage> build, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = build();
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timer.Token);
            var body = await response.Content.ReadAsStringAsync(timer.Token);
            if (response.IsSuccessStatusCode)
            {
                return body;
            }
            throw Refused(request, response.StatusCode, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OperatorApiException($"no answer from {_server} within {timeout.TotalSeconds:0} s ({request.Method} {request.RequestUri})");
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            throw new OperatorApiException(
                $"cannot reach the FleetQuant server at {_server}: {ex.Message} (set --server or {OperatorSettings.ServerVariable})", inner: ex);
        }
    }

    private static OperatorApiException Refused(HttpRequestMessage request, HttpStatusCode status, string body)
    {
        var code = (int)status;
        if (status == HttpStatusCode.Unauthorized)
        {
            return new OperatorApiException(
                $"the server refused the operator token (401); check --token or {OperatorSettings.TokenVariable}", code);
        }
        var (title, detail) = ProblemOf(body);
        var what = detail ?? title ?? (body.Length is > 0 and <= 200 ? body.ReplaceLineEndings(" ") : status.ToString());
        return new OperatorApiException($"{request.Method} {request.RequestUri}: {code} {title ?? status.ToString()}: {what}", code);
    }

    private static (string? Title, string? Detail) ProblemOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            return (Text(document.RootElement, "title"), Text(document.RootElement, "detail"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
