using System.CommandLine;
using System.Net.Http.Headers;
using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Operator;
using FleetQuant.Cli.Output;
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
        var evalData = new Option<string?>("--eval-data") { Description = "Evaluation set (IDX, .npy, .npz or ONNX test data); labels give accuracy instead of agreement" };
        var calibrationData = new Option<string?>("--calibration-data") { Description = "Calibration set for steps that calibrate (same formats); never the evaluation set" };
        var hints = new HintOptions();
        var wait = new Option<bool>("--wait") { Description = "Wait until the ladder is measured, then print it" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds --wait waits for the ladder", DefaultValueFactory = _ => 900 };
        var command = shared.Verb("push", "Upload a model version; the server measures its ladder");
        command.Arguments.Add(file);
        command.Options.Add(model);
        command.Options.Add(version);
        command.Options.Add(evalData);
        command.Options.Add(calibrationData);
        hints.AddTo(command);
        command.Options.Add(wait);
        command.Options.Add(timeout);
        version.Validators.Add(r => Positive(r, r.GetValueOrDefault<int?>()));
        timeout.Validators.Add(r => Positive(r, r.GetValueOrDefault<int>()));
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var onnx = File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : throw new FileNotFoundException($"model file not found: {path}");
            var evalFiles = parse.GetValue(evalData) is { } evalPath ? DataUpload.Files(evalPath) : [];
            var calibrationFiles = parse.GetValue(calibrationData) is { } calibrationPath ? DataUpload.Files(calibrationPath) : [];
            var modelId = parse.GetValue(model)!;
            using var client = shared.Connect(parse);
            var json = await client.PostFormAsync($"/api/models/{Uri.EscapeDataString(modelId)}/versions", () =>
            {
                var form = new MultipartFormDataContent { { Bytes(onnx, "application/octet-stream"), "model", Path.GetFileName(path) } };
                if (parse.GetValue(version) is { } v)
                {
                    form.Add(new StringContent(v.ToString(System.Globalization.CultureInfo.InvariantCulture)), "version");
                }
                foreach (var (name, bytes) in evalFiles)
                {
                    form.Add(Bytes(bytes, "application/octet-stream"), "evalData", name);
                }
                foreach (var (name, bytes) in calibrationFiles)
                {
                    form.Add(Bytes(bytes, "application/octet-stream"), "calibrationData", name);
                }
                foreach (var (field, values) in new[] { ("inputShape", parse.GetValue(hints.Shapes)), ("inputValue", parse.GetValue(hints.Values)), ("inputRange", parse.GetValue(hints.Ranges)) })
                {
                    foreach (var value in values ?? [])
                    {
                        form.Add(new StringContent(value), field);
                    }
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
            var ids = ApiJson.Read<ModelListResponse>(json).ModelIds;
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
}
