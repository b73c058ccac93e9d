using System.CommandLine;
using FleetQuant.Cli.Output;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary><c>fleetquant inspect &lt;model.onnx&gt; [--json]</c>: opset, operators, parameter count, bytes per tensor type.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "ONNX model file" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("inspect", "Show a model's opset, operators, parameter count and bytes per tensor type") { model, json };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            var summary = ModelSummary.Of(path, EvalSets.LoadModel(path));
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(CliJson.Serialize(summary));
            }
            else
            {
                Print(summary);
            }
            return 0;
        });
        return command;
    }

    private static void Print(ModelSummary summary)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("model", Markup.Escape(summary.Path));
        grid.AddRow("file", Consoles.Bytes(summary.FileBytes));
        grid.AddRow("ir version", summary.IrVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        grid.AddRow("opsets", Markup.Escape(string.Join(", ", summary.Opsets.Select(o => $"{o.Key} {o.Value}"))));
        grid.AddRow("parameters", summary.Parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        grid.AddRow("inputs", Markup.Escape(string.Join("; ", summary.Inputs)));
        grid.AddRow("outputs", Markup.Escape(string.Join("; ", summary.Outputs)));
        Consoles.Out.Write(grid);

        var ops = new Table().AddColumn("op").AddColumn(new TableColumn("nodes").RightAligned());
        foreach (var (op, count) in summary.Ops)
        {
            ops.AddRow(Markup.Escape(op), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Consoles.Out.Write(ops);

        var types = new Table().AddColumn("tensor type").AddColumn(new TableColumn("bytes").RightAligned());
        foreach (var (type, bytes) in summary.BytesPerDtype)
        {
            types.AddRow(type, bytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        }
        Consoles.Out.Write(types);
    }
}
