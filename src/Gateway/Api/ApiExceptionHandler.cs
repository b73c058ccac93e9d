using System.Diagnostics;
using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Rollouts;
using Microsoft.AspNetCore.Diagnostics;

namespace FleetQuant.Gateway.Api;

/// <summary>
/// Turns the domain's typed refusals into ProblemDetails with the status an operator can act on. Anything else is a
/// fault of the server, not of the request: a logged 500 whose body carries only a trace id to find it in the log, so
/// a framework's InvalidOperationException never reads as a "conflict" and no internal message reaches the caller.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var refusal = Refusal(exception);
        var traceId = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        if (refusal is null)
        {
            logger.LogError(exception, "{Method} {Path} failed (trace {TraceId})", httpContext.Request.Method, httpContext.Request.Path, traceId);
        }
        var (status, title) = refusal ?? (StatusCodes.Status500InternalServerError, "internal error");
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = title,
                Detail = refusal is null ? $"the Gateway logged this failure under trace id {traceId}" : exception.Message,
                Extensions = { ["traceId"] = traceId },
            },
        });
    }

    /// <summary>The status and title of a refusal the caller can act on; null for a server fault.</summary>
    private static (int Status, string Title)? Refusal(Exception exception) => exception switch
    {
        BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request too large" : "malformed request"),
        ApiRequestException api => (api.StatusCode, api.Title),
        DeviceNotProvisionedException => (StatusCodes.Status404NotFound, "unknown device"),
        DeviceAlreadyProvisionedException => (StatusCodes.Status409Conflict, "device exists"),
        InvalidDeviceRequestException => (StatusCodes.Status400BadRequest, "invalid device request"),
        ModelVersionNotFoundException => (StatusCodes.Status404NotFound, "unknown model version"),
        ModelNotReadyException => (StatusCodes.Status409Conflict, "model not ready"),
        ModelVersionExistsException => (StatusCodes.Status409Conflict, "model version exists"),
        InvalidModelUploadException => (StatusCodes.Status400BadRequest, "invalid model upload"),
        RecipeNotAvailableException => (StatusCodes.Status404NotFound, "recipe not available"),
        RolloutNotFoundException => (StatusCodes.Status404NotFound, "unknown rollout"),
        RolloutExistsException => (StatusCodes.Status409Conflict, "rollout exists"),
        InvalidRolloutSpecException => (StatusCodes.Status400BadRequest, "invalid rollout"),
        CatalogFullException => (StatusCodes.Status409Conflict, "catalog full"),
        _ => null,
    };
}

/// <summary>A request the API refuses with a specific status and a message for the operator.</summary>
public sealed class ApiRequestException(int statusCode, string title, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;

    public static ApiRequestException BadRequest(string message) => new(StatusCodes.Status400BadRequest, "invalid request", message);

    public static ApiRequestException NotFound(string message) => new(StatusCodes.Status404NotFound, "not found", message);

    public static ApiRequestException TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, "request too large", message);
}
