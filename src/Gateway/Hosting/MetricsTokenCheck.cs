using System.Security.Cryptography;
using System.Text;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// Guards <c>/metrics</c> with <see cref="GatewayOptions.MetricsToken"/> when one is set: a scrape without
/// <c>Authorization: Bearer {token}</c> gets 401. Compared as SHA-256 digests in constant time, like the operator tokens.
/// </summary>
public sealed class MetricsTokenCheck(string token)
{
    private readonly byte[] _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool IsAuthorized(string header)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length > 4096)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim())), _digest);
    }

    /// <summary>Runs ahead of the exporter in its branch: refuses the scrape before any metric is collected.</summary>
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.Response.WriteAsync("metrics token required: send Authorization: Bearer <FleetQuant:Gateway:MetricsToken>\n");
            return;
        }
        await next();
    }
}
