using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Cli.Output;

/// <summary>Builds the evaluation set a verb was asked for: real data from --data, or --samples generated inputs.</summary>
public static class EvalSets
{
    public const int GeneratedSeed = 1;

    public static EvalSet Load(ModelProto model, string? dataPath, int? samples)
    {
        if (dataPath is not null)
        {
            var set = DataSetFile.Load(dataPath, ModelSignature.Of(model));
            return samples is { } n ? set.Take(n) : set;
        }
        return GeneratedInputs.Create(ModelShapes.KnownSampleShape(model), samples ?? 64, GeneratedSeed);
    }

    /// <summary>Loads a model, turning a missing file into the library's one-line error.</summary>
    public static ModelProto LoadModel(string path) => OnnxModelFile.Load(path);
}
