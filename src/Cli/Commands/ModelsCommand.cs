using System.CommandLine;
using System.Net.Http.Headers;
using FleetQuant.Cli.Operator;
using FleetQuant.Cli.Output;
using FleetQuant.Grains.Models;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant models push|list|show</c>: upload a model version (optionally waiting for its ladder), list the
/// models, show a model's versions and a version's ladder table.
/// </summary>
public static class ModelsCommand
{
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(10);

    public static Command Create()
    {
        var shared = new OperatorOptions();
        return new Command("models", "Upload model versions and read their ladders (operator API)")
        {
            Push(shared), List(shared), Show(shared),
        };
    }

    private static Command Push(OperatorOptions shared)
    {
        var file = new Argument<string>("onnx") { Description = "ONNX model file" };
        var model = new Option<string>("--model") { Description = "Model id (1–64 of A-Z a-z 0-9 . _ -)", Required = true };
        var version = new Option<int?>("--version") { Description = "Version number (default: the next one)" };
        var images = new Option<string?>("--eval-images") { Description = "Labelled eval images, IDX (optionally .gz), for accuracy instead of agreement" };
        var labels = new Option<string?>("--eval-labels") { Description = "Labels for --eval-images, IDX (optionally .gz)" };
        var shape = new Option<string?>("--sample-shape") { Description = "Sample shape fed to the model, e.g. 784 or 1,28,28" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the ladder is measured, then print it" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds --wait waits for the ladder", DefaultValueFactory = _ => 900 };
        var command = shared.Verb("push", "Upload a model version; the server measures its ladder");
        command.Arguments.Add(file);
        command.Options.Add(model);
        command.Options.Add(version);
        command.Options.Add(images);
        command.Options.Add(labels);
        command.Options.Add(shape);
        command.Options.Add(wait);
        command.Options.Add(timeout);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(images) is null) != (result.GetValue(labels) is null))
            {
                result.AddError("give both --eval-images and --eval-labels, or neither");
            }
        });
        version.Validators.Add(r => Positive(r, r.GetValueOrDefault<int?>()));
        timeout.Validators.Add(r => Positive(r, r.GetValueOrDefault<int>()));
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var onnx = File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : throw new FileNotFoundException($"model file not found: {path}");
            var imageBytes = parse.GetValue(images) is { } imagePath ? IdxFiles.Read(imagePath) : null;
            var labelBytes = parse.GetValue(labels) is { } labelPath ? IdxFiles.Read(labelPath) : null;
            var modelId = parse.GetValue(model)!;
            using var client = shared.Connect(parse);
            var json = await client.PostFormAsync($"/api/models/{Uri.EscapeDataString(modelId)}/versions", () =>
            {
                var form = new MultipartFormDataContent { { Bytes(onnx, "application/octet-stream"), "model", Path.GetFileName(path) } };
                if (parse.GetValue(version) is { } v)
                {
                    form.Add(new StringContent(v.ToString(System.Globalization.CultureInfo.InvariantCulture)), "version");
                }
                if (imageBytes is not null && labelBytes is not null)
                {
                    form.Add(Bytes(imageBytes, "application/octet-stream"), "evalImages", "images.idx");
                    form.Add(Bytes(labelBytes, "application/octet-stream"), "evalLabels", "labels.idx");
                }
                if (parse.GetValue(shape) is { } s)
                {
                    form.Add(new StringContent(s), "sampleShape");
                }
                return form;
            }, UploadTimeout, ct);
            var uploaded = ApiJson.Read<ModelVersionView>(json);
            if (parse.GetValue(wait))
            {
                var ready = await ModelWaiter.WaitReadyAsync(client, modelId, uploaded.Version, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
                json = ApiJson.Serialize(ready);
                uploaded = ready;
            }
            if (parse.GetValue(shared.Json))
            {
                Console.Out.WriteLine(ApiJson.Pretty(json));
                return 0;
            }
            Consoles.Out.MarkupLine($"uploaded [bold]{Markup.Escape(modelId)}[/] v{Markup.Escape(uploaded.Version)} ({uploaded.Source.Bytes:N0} B, sha256 {uploaded.Source.Hash[..12]}…): {uploaded.Status.ToString().ToLowerInvariant()}");
            if (uploaded.Ladder is { } ladder)
            {
                OperatorTables.Ladder($"{modelId} v{uploaded.Version}", ladder);
            }
            else
            {
                Consoles.Out.MarkupLine($"[dim]the ladder is being measured; see it with: fleetquant models show {Markup.Escape(modelId)}[/]");
            }
            return 0;
        });
        return command;
    }

    private static Command List(OperatorOptions shared)
    {
        var command = shared.Verb("list", "List models with their latest version");
        command.SetAction(async (parse, ct) =>
        {
            using var client = shared.Connect(parse);
            var json = await client.GetAsync("/api/models", ct);
            if (parse.GetValue(shared.Json))
            {
                Console.Out.WriteLine(ApiJson.Pretty(json));
                return 0;
            }
            var ids = ApiJson.Read<ModelListAnswer>(json).ModelIds;
            var models = new List<ModelView>();
            foreach (var id in ids)
            {
                models.Add(ApiJson.Read<ModelView>(await client.GetAsync($"/api/models/{Uri.EscapeDataString(id)}", ct)));
            }
            OperatorTables.Models(models);
            return 0;
        });
        return command;
    }

    private static Command Show(OperatorOptions shared)
    {
        var id = new Argument<string>("model") { Description = "Model id" };
        var version = new Option<string?>("--version") { Description = "Version whose ladder to show (default: the latest measured one)" };
        var command = shared.Verb("show", "Show a model's versions and a version's ladder table");
        command.Arguments.Add(id);
        command.Options.Add(version);
        command.SetAction(async (parse, ct) =>
        {
            using var client = shared.Connect(parse);
            var modelId = parse.GetValue(id)!;
            var json = await client.GetAsync($"/api/models/{Uri.EscapeDataString(modelId)}", ct);
            var model = ApiJson.Read<ModelView>(json);
            var wanted = parse.GetValue(version);
            var chosen = wanted is null
                ? model.Versions.LastOrDefault(v => v.Ladder is not null)
                : model.Versions.FirstOrDefault(v => v.Version == wanted) ?? throw new OperatorApiException($"model '{modelId}' has no version {wanted}");
            if (parse.GetValue(shared.Json))
            {
                Console.Out.WriteLine(wanted is null ? ApiJson.Pretty(json) : ApiJson.Serialize(chosen));
                return 0;
            }
            OperatorTables.Versions(model);
            if (chosen?.Ladder is { } ladder)
            {
                OperatorTables.Ladder($"ladder of {modelId} v{chosen.Version}", ladder);
            }
            else if (chosen is not null)
            {
                Consoles.Out.MarkupLine($"[dim]v{Markup.Escape(chosen.Version)} has no ladder yet ({chosen.Status.ToString().ToLowerInvariant()})[/]");
            }
            return 0;
        });
        return command;
    }

    private static void Positive(System.CommandLine.Parsing.OptionResult result, int? value)
    {
        if (value is <= 0)
        {
            result.AddError($"{result.Option.Name} must be positive");
        }
    }

    private static ByteArrayContent Bytes(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private sealed record ModelListAnswer(IReadOnlyList<string> ModelIds);
}
