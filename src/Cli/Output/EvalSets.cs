using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Cli.Output;

/// <summary>Builds the evaluation set a verb was asked for: real data from --data, or generated inputs shaped by the hints.</summary>
public static class EvalSets
{
    public const int GeneratedSeed = 1;

    public static EvalSet Load(ModelProto model, string? dataPath, int? samples, InputHints hints)
    {
        if (dataPath is not null)
        {
            var set = DataSetFile.Load(dataPath, ModelSignature.Of(model)).WithHints(hints);
            return samples is { } n ? set.Take(n) : set;
        }
        return Generate(model, samples ?? 64, hints);
    }

    /// <summary>Generated inputs for every input of the model, shaped by its declared dimensions and the hints.</summary>
    public static EvalSet Generate(ModelProto model, int samples, InputHints hints) =>
        GeneratedInputs.ForModel(OnnxModelFile.Serialize(model), hints, samples, GeneratedSeed);

    /// <summary>Loads a model, turning a missing file into the library's one-line error.</summary>
    public static ModelProto LoadModel(string path) => OnnxModelFile.Load(path);
}
