using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pipeline;

/// <summary>Applies a recipe to a model: pruning steps in order, then weight coding per weight.</summary>
public static class ModelCompressor
{
    public static CompressedModel Compress(ModelProto source, Recipe recipe, EvalSet? calibration = null)
    {
        var model = source.Clone();
        foreach (var tensor in OnnxGraphs.AllTensors(model))
        {
            TensorData.NormalizeToRaw(tensor);
        }

        var context = new CompressionContext(model, recipe, calibration);
        foreach (var step in recipe.Steps.Where(s => s.Stage != RecipeStage.WeightCoding))
        {
            StepTransforms.ModelTransform(step).Apply(context);
        }

        var weights = context.Weights();
        var byCoder = weights.GroupBy(w => context.WeightCodingFor(w.Name)).ToList();
        foreach (var group in byCoder)
        {
            if (group.Key is null)
            {
                foreach (var weight in group)
                {
                    context.Note(weight.Name, TensorAction.KeptExact, "kept FP32 by the recipe");
                }
                continue;
            }
            StepTransforms.WeightCoder(group.Key).Encode(context, group.ToList());
        }

        foreach (var note in WeightCatalog.Find(model).LeftAlone)
        {
            context.Note(note.Tensor, note.Action, note.Detail);
        }

        return new CompressedModel(model, recipe, context.Encodings, context.Notes);
    }
}
