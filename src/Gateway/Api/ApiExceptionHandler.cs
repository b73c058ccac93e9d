using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using Microsoft.AspNetCore.Diagnostics;

namespace FleetQuant.Gateway.Api;

/// <summary>Turns the typed errors of request handling into ProblemDetails with the status an operator can act on.</summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request too large" : "malformed request"),
            ApiRequestException api => (api.StatusCode, api.Title),
            ArgumentException or InvalidDataException => (StatusCodes.Status400BadRequest, "invalid request"),
            DeviceNotProvisionedException => (StatusCodes.Status404NotFound, "unknown device"),
            DeviceAlreadyProvisionedException => (StatusCodes.Status409Conflict, "device exists"),
            ModelVersionNotFoundException => (StatusCodes.Status404NotFound, "unknown model version"),
            ModelNotReadyException => (StatusCodes.Status409Conflict, "model not ready"),
            // Grains refuse state-machine moves that do not apply now (rollout exists, not created, already finished).
            InvalidOperationException => (StatusCodes.Status409Conflict, "conflict"),
            _ => (StatusCodes.Status500InternalServerError, "internal error"),
        };
        if (status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "{Method} {Path} failed", httpContext.Request.Method, httpContext.Request.Path);
        }
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = status == 500 ? "see the Gateway log" : exception.Message },
        });
    }
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
