using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Contract = FleetQuant.Api.Contracts;

namespace FleetQuant.Gateway.Api;

/// <summary><c>/api/models</c>: upload versions (multipart), list models, show a model and a version's ladder.</summary>
public static class ModelEndpoints
{
    private const int MaxIdLength = 64;

    private static readonly HashSet<string> UploadFields = new(StringComparer.Ordinal)
    {
        "model", "version", "evalData", "evalImages", "evalLabels", "calibrationData", "calibrationImages", "calibrationLabels",
        "inputShape", "inputValue", "inputRange",
    };

    public static RouteGroupBuilder MapModelEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/models/{modelId}/versions", UploadAsync)
            .WithSummary("Upload a model version: multipart 'model' (ONNX); optional 'version'; an evaluation set as 'evalData' files "
                + "(.npy, .npz, a .zip of ONNX test-data directories, or IDX images + labels) or 'evalImages' + 'evalLabels' (IDX); "
                + "a calibration set likewise ('calibrationData', or 'calibrationImages' + 'calibrationLabels'); "
                + "input hints 'inputShape' (NAME=D1,D2,...), 'inputValue' (NAME=V), 'inputRange' (NAME=LO,HI), each repeatable.")
            .DisableAntiforgery();
        api.MapGet("/models", ListAsync).WithSummary("Model ids.");
        api.MapGet("/models/{modelId}", ShowAsync).WithSummary("A model and its versions (status, ladder, artifacts).");
        api.MapGet("/models/{modelId}/versions/{version}/ladder", LadderAsync).WithSummary("A version's measured ladder (409 while analysing).");
        return api;
    }

    private static async Task<Contract.ModelVersionView> UploadAsync(string modelId, HttpRequest request, IGrainFactory grains, IOptions<GatewayOptions> options,
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

        var unknown = form.Keys.Concat(form.Files.Select(f => f.Name)).FirstOrDefault(k => !UploadFields.Contains(k));
        if (unknown is not null)
        {
            throw ApiRequestException.BadRequest($"unknown form field '{unknown}' (fields: {string.Join(", ", UploadFields)})");
        }
        var evalData = await DataFilesAsync(form, "evalData", "evalImages", "evalLabels", cancellationToken);
        var calibrationData = await DataFilesAsync(form, "calibrationData", "calibrationImages", "calibrationLabels", cancellationToken);
        var hints = new InputHintFlags(form["inputShape"].OfType<string>().ToList(), form["inputValue"].OfType<string>().ToList(), form["inputRange"].OfType<string>().ToList());

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
        var view = await grain.AddVersion(new ModelVersionUpload(version, onnx, evalData, calibrationData, hints));
        await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Models).Add(modelId);
        return view.ToContract();
    }

    private static async Task<Contract.ModelListResponse> ListAsync(IGrainFactory grains) =>
        new(await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Models).List(null, 10_000));

    private static async Task<Contract.ModelView> ShowAsync(string modelId, IGrainFactory grains)
    {
        CheckId(modelId);
        var view = await grains.GetGrain<IModelGrain>(modelId).GetView();
        return view.Versions.Count == 0 ? throw ApiRequestException.NotFound($"model '{modelId}' has no versions") : view.ToContract();
    }

    private static async Task<Contract.LadderInfo> LadderAsync(string modelId, string version, IGrainFactory grains)
    {
        CheckId(modelId);
        return (await grains.GetGrain<IModelGrain>(modelId).GetLadder(version)).ToContract();
    }

    /// <summary>
    /// One data set of the form: the files of <paramref name="field"/> under their own names, or an IDX pair sent as
    /// <paramref name="imagesField"/> + <paramref name="labelsField"/> (named so the IDX reader pairs them); null when absent.
    /// </summary>
    private static async Task<IReadOnlyList<DataFile>?> DataFilesAsync(IFormCollection form, string field, string imagesField, string labelsField,
        CancellationToken cancellationToken)
    {
        var files = new List<DataFile>();
        foreach (var file in form.Files.GetFiles(field))
        {
            files.Add(new DataFile(file.FileName, await ReadAllAsync(file, cancellationToken)));
        }
        var images = form.Files[imagesField];
        var labels = form.Files[labelsField];
        if (images is not null || labels is not null)
        {
            if (images is null || labels is null)
            {
                throw ApiRequestException.BadRequest($"send both '{imagesField}' and '{labelsField}', or neither");
            }
            files.Add(await IdxFileAsync(images, field + "-images-idx3-ubyte", cancellationToken));
            files.Add(await IdxFileAsync(labels, field + "-labels-idx1-ubyte", cancellationToken));
        }
        return files.Count > 0 ? files : null;
    }

    private static async Task<DataFile> IdxFileAsync(IFormFile file, string name, CancellationToken cancellationToken)
    {
        var bytes = await ReadAllAsync(file, cancellationToken);
        var gzip = bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
        return new DataFile(gzip ? name + ".gz" : name, bytes);
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
            throw ApiRequestException.BadRequest($"ids must be {FleetQuant.Protocol.Topics.DeviceTopics.DeviceIdGrammar}");
        }
    }
}
