using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pipeline;

/// <summary>
/// Applies a recipe to a model: weights held in Constant nodes become initializers, pruning steps run in order,
/// then weight coding per weight.
/// </summary>
public static class ModelCompressor
{
    public static CompressedModel Compress(ModelProto source, Recipe recipe, EvalSet? calibration = null)
    {
        var model = source.Clone();
        foreach (var tensor in OnnxGraphs.AllTensors(model))
        {
            TensorData.NormalizeToRaw(tensor);
        }
        ConstantWeights.Lift(model);

        var context = new CompressionContext(model, recipe, calibration);
        foreach (var step in recipe.Steps.Where(s => s.Stage != RecipeStage.WeightCoding))
        {
            StepTransforms.ModelTransform(step).Apply(context);
        }

        var (weights, leftAlone) = WeightCatalog.Find(model);
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

        // Taken before weight coding, so the scales and codes the coders add are not reported as tensors left alone.
        foreach (var note in leftAlone)
        {
            context.Note(note.Tensor, note.Action, note.Detail);
        }

        return new CompressedModel(model, recipe, context.Encodings, context.Notes) { Published = context.Published };
    }
}
