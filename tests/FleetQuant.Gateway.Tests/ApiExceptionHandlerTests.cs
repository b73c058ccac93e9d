using System.Text.Json;
using FleetQuant.Gateway.Api;
using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Rollouts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.Gateway.Tests;

public sealed class ApiExceptionHandlerTests
{
    public static TheoryData<Exception, int> DomainRefusals => new()
    {
        { new DeviceNotProvisionedException("d1"), 404 },
        { new DeviceAlreadyProvisionedException("d1"), 409 },
        { new InvalidDeviceRequestException("a device carries at most 32 tags"), 400 },
        { new ModelVersionNotFoundException("m", "1"), 404 },
        { new ModelNotReadyException("still analysing"), 409 },
        { new ModelVersionExistsException("m", "1"), 409 },
        { new InvalidModelUploadException("the 'model' file is not a valid ONNX model: truncated"), 400 },
        { new RecipeNotAvailableException("recipe 'p90' is not on the ladder"), 404 },
        { new RolloutNotFoundException("r1"), 404 },
        { new RolloutExistsException("r1"), 409 },
        { new InvalidRolloutSpecException("a rollout needs at least one wave"), 400 },
        { new CatalogFullException("rollouts", 100_000), 409 },
        { ApiRequestException.BadRequest("take must be 1..1000"), 400 },
        { new BadHttpRequestException("too big", StatusCodes.Status413PayloadTooLarge), 413 },
    };

    [Theory]
    [MemberData(nameof(DomainRefusals))]
    public async Task DomainRefusal_MapsToItsStatus_WithItsMessage(Exception refusal, int status)
    {
        var (code, problem) = await HandleAsync(refusal);

        Assert.Equal(status, code);
        Assert.Equal(refusal.Message, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(InvalidDataException))]
    public async Task FrameworkException_IsA500WithATraceId_AndNoInternalMessage(Type type)
    {
        var fault = (Exception)Activator.CreateInstance(type, "Collection was modified; enumeration operation may not execute.")!;

        var (code, problem) = await HandleAsync(fault);

        Assert.Equal(500, code);
        var traceId = problem.GetProperty("traceId").GetString();
        Assert.False(string.IsNullOrEmpty(traceId));
        Assert.Contains(traceId!, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("Collection was modified", problem.GetRawText());
    }

    private static async Task<(int Status, JsonElement Problem)> HandleAsync(Exception exception)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services, TraceIdentifier = "trace-0001" };
        context.Request.Method = "POST";
        context.Request.Path = "/api/rollouts";
        context.Request.Headers.Accept = "application/problem+json";
        var body = new MemoryStream();
        context.Response.Body = body;
        var handler = new ApiExceptionHandler(services.GetRequiredService<IProblemDetailsService>(), NullLogger<ApiExceptionHandler>.Instance);

        Assert.True(await handler.TryHandleAsync(context, exception, CancellationToken.None));

        return (context.Response.StatusCode, JsonDocument.Parse(body.ToArray()).RootElement);
    }
}
