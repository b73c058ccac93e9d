using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Api;

/// <summary>Reads a JSON request body with a clear 400 for malformed or incomplete input (the framework's binder logs and returns an empty 400).</summary>
public static class JsonBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiRequestException.BadRequest("send the body as application/json");
        }
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken)
                ?? throw ApiRequestException.BadRequest("the body is empty (null)");
        }
        catch (JsonException ex)
        {
            throw ApiRequestException.BadRequest($"malformed JSON body: {ex.Message}");
        }
    }
}
