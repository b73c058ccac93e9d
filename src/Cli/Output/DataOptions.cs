using System.CommandLine;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Cli.Output;

/// <summary>The input hints, each repeatable: <c>--input-shape</c>, <c>--input-value</c>, <c>--input-range</c> (also on <c>models push</c>).</summary>
public sealed class HintOptions
{
    public Option<string[]> Shapes { get; } = Repeatable("--input-shape", "NAME=D1,D2,... fixes an input's symbolic dimensions (a symbolic first dimension defaults to 1)");

    public Option<string[]> Values { get; } = Repeatable("--input-value", "NAME=V feeds a constant to an input (e.g. a sample rate)");

    public Option<string[]> Ranges { get; } = Repeatable("--input-range", "NAME=LO,HI draws an input's generated values uniformly from [LO, HI]");

    public void AddTo(Command command)
    {
        command.Options.Add(Shapes);
        command.Options.Add(Values);
        command.Options.Add(Ranges);
    }

    public InputHints Parse(ParseResult parse) => InputHints.Parse(parse.GetValue(Shapes), parse.GetValue(Values), parse.GetValue(Ranges));

    private static Option<string[]> Repeatable(string name, string description) => new(name)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
    };
}

/// <summary>
/// The options every measuring verb shares: real data (<c>--data</c>), generated samples (<c>--samples</c>) and the
/// input hints (<c>--input-shape</c>, <c>--input-value</c>, <c>--input-range</c>, each repeatable).
/// </summary>
public sealed class DataOptions
{
    public DataOptions(string dataDescription, string samplesDescription)
    {
        Data = new Option<string?>("--data") { Description = dataDescription + " (IDX, .npy, .npz or ONNX test-data directory)" };
        Samples = new Option<int?>("--samples") { Description = samplesDescription };
    }

    public Option<string?> Data { get; }

    public Option<int?> Samples { get; }

    public HintOptions HintFlags { get; } = new();

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(Samples);
        HintFlags.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Samples) is <= 0)
            {
                result.AddError("--samples must be positive");
            }
        });
    }

    public InputHints Hints(ParseResult parse) => HintFlags.Parse(parse);

    /// <summary>The set the verb was asked for: --data (capped by --samples), else --samples generated inputs (default <paramref name="defaultSamples"/>).</summary>
    public EvalSet Load(ParseResult parse, ModelProto model, int defaultSamples = 64) =>
        EvalSets.Load(model, parse.GetValue(Data), parse.GetValue(Samples) ?? (parse.GetValue(Data) is null ? defaultSamples : null), Hints(parse));

    /// <summary>Data for steps that calibrate, when --data was given (at most <paramref name="cap"/> samples).</summary>
    public EvalSet? LoadCalibration(ParseResult parse, ModelProto model, int cap) =>
        parse.GetValue(Data) is { } path ? EvalSets.Load(model, path, cap, Hints(parse)) : null;
}
