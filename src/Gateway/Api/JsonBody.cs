using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Api;

/// <summary>Reads a JSON request body with a clear 400 for malformed or incomplete input (the framework's binder logs and returns an empty 400).</summary>
public static partial class JsonBody
{
    /// <summary>The property System.Text.Json refused under <c>JsonUnmappedMemberHandling.Disallow</c>, or null for other errors.</summary>
    private static string? UnknownField(JsonException exception) =>
        UnmappedMember().Match(exception.Message) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex("^The JSON property '(.*?)' could not be mapped to any \\.NET member", RegexOptions.Singleline)]
    private static partial Regex UnmappedMember();

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
        catch (JsonException ex) when (UnknownField(ex) is { } field)
        {
            throw ApiRequestException.BadRequest($"unknown field '{field}' in the {typeof(T).Name} body (at {ex.Path ?? "$"}); see /openapi/v1.json for the fields");
        }
        catch (JsonException ex)
        {
            throw ApiRequestException.BadRequest($"malformed JSON body: {ex.Message}");
        }
    }
}
