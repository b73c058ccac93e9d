using System.Security.Cryptography;
using System.Text;
using FleetQuant.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Api;

/// <summary>
/// Lets a request through only with <c>Authorization: Bearer {token}</c> naming a configured operator token. Tokens are
/// compared as SHA-256 digests in constant time, so neither content nor length leaks through timing.
/// </summary>
public sealed class OperatorTokenFilter(IOptions<GatewayOptions> options) : IEndpointFilter
{
    private readonly byte[][] _tokenDigests = [.. options.Value.OperatorTokens.Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t)))];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!IsAuthorized(context.HttpContext.Request.Headers.Authorization.ToString()))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "operator token required",
                detail: "send Authorization: Bearer <token> with a token from FleetQuant:Gateway:OperatorTokens");
        }
        return await next(context);
    }

    private bool IsAuthorized(string header)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length > 4096)
        {
            return false;
        }
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        var match = false;
        foreach (var digest in _tokenDigests)
        {
            // No early exit: every configured token is compared.
            match |= CryptographicOperations.FixedTimeEquals(presented, digest);
        }
        return match;
    }
}
