using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Gateway;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Api;

/// <summary><c>/api/models</c>: upload versions (multipart), list models, show a model and a version's ladder.</summary>
public static class ModelEndpoints
{
    private const int MaxIdLength = 64;

    public static RouteGroupBuilder MapModelEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/models/{modelId}/versions", UploadAsync)
            .WithSummary("Upload a model version: multipart 'model' (ONNX), optional 'evalImages' + 'evalLabels' (IDX), 'version', 'sampleShape' (e.g. 784 or 1,28,28).")
            .DisableAntiforgery();
        api.MapGet("/models", ListAsync).WithSummary("Model ids.");
        api.MapGet("/models/{modelId}", ShowAsync).WithSummary("A model and its versions (status, ladder, artifacts).");
        api.MapGet("/models/{modelId}/versions/{version}/ladder", LadderAsync).WithSummary("A version's measured ladder (409 while analysing).");
        return api;
    }

    private static async Task<ModelVersionView> UploadAsync(string modelId, HttpRequest request, IGrainFactory grains, IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        CheckId(modelId);
        var limit = options.Value.MaxModelUploadBytes;
        if (request.ContentLength > limit)
        {
            throw ApiRequestException.TooLarge($"upload of {request.ContentLength} bytes is over the {limit}-byte limit (FleetQuant:Gateway:MaxModelUploadBytes)");
        }
        if (!request.HasFormContentType)
        {
            throw ApiRequestException.BadRequest("send the model as multipart/form-data with a 'model' file");
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }
        request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            MultipartBodyLengthLimit = limit,
            ValueLengthLimit = 1024,
        }));
        var form = await request.ReadFormAsync(cancellationToken);
        var model = form.Files["model"] ?? throw ApiRequestException.BadRequest("the 'model' file (ONNX) is missing");
        var onnx = await ReadAllAsync(model, cancellationToken);
        if (onnx.Length == 0)
        {
            throw ApiRequestException.BadRequest("the 'model' file is empty");
        }

        EvalSetData? evalSet = null;
        var images = form.Files["evalImages"];
        var labels = form.Files["evalLabels"];
        if (images is not null || labels is not null)
        {
            if (images is null || labels is null)
            {
                throw ApiRequestException.BadRequest("send both 'evalImages' and 'evalLabels', or neither");
            }
            evalSet = IdxEvalSetReader.Read(await ReadAllAsync(images, cancellationToken), await ReadAllAsync(labels, cancellationToken), ParseShape(form["sampleShape"]));
        }

        var grain = grains.GetGrain<IModelGrain>(modelId);
        var version = form["version"].FirstOrDefault();
        if (string.IsNullOrEmpty(version))
        {
            version = ((await grain.GetView()).Versions.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (!int.TryParse(version, out var number) || number <= 0)
        {
            // Manifests carry the model version as a positive integer.
            throw ApiRequestException.BadRequest($"version must be a positive integer, got '{version}'");
        }
        var view = await grain.AddVersion(new ModelVersionUpload(version, onnx, evalSet));
        await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Models).Add(modelId);
        return view;
    }

    private static async Task<ModelListResponse> ListAsync(IGrainFactory grains) =>
        new(await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Models).List(null, 10_000));

    private static async Task<ModelView> ShowAsync(string modelId, IGrainFactory grains)
    {
        CheckId(modelId);
        var view = await grains.GetGrain<IModelGrain>(modelId).GetView();
        return view.Versions.Count == 0 ? throw ApiRequestException.NotFound($"model '{modelId}' has no versions") : view;
    }

    private static async Task<LadderInfo> LadderAsync(string modelId, string version, IGrainFactory grains)
    {
        CheckId(modelId);
        return await grains.GetGrain<IModelGrain>(modelId).GetLadder(version);
    }

    private static long[]? ParseShape(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.FirstOrDefault() is not { Length: > 0 } text)
        {
            return null;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], out shape[i]) || shape[i] <= 0 || parts.Length > 8)
            {
                throw ApiRequestException.BadRequest($"sampleShape '{text}' must be up to 8 positive integers separated by commas");
            }
        }
        return shape;
    }

    private static async Task<byte[]> ReadAllAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)Math.Min(file.Length, int.MaxValue));
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static void CheckId(string id)
    {
        if (!FleetQuant.Protocol.Topics.DeviceTopics.IsValidDeviceId(id) || id.Length > MaxIdLength)
        {
            throw ApiRequestException.BadRequest("ids must be 1–64 characters of A-Z a-z 0-9 . _ -");
        }
    }
}
