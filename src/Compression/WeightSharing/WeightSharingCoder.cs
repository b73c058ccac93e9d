using System.Globalization;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.WeightSharing;

/// <summary>
/// k-means weight sharing (<c>km4</c>): each weight becomes a codebook of 2^k centroids and k-bit indices on the
/// wire; the runnable model holds the centroid values as FLOAT.
/// </summary>
public sealed class WeightSharingCoder(WeightSharingStep step) : IWeightCoder
{
    public void Encode(CompressionContext context, IReadOnlyList<WeightRef> weights)
    {
        if (step.IndexBits is < 1 or > 8)
        {
            throw new RecipeException($"'{step.Id}': k-means index bits must be 1 to 8");
        }

        foreach (var weight in weights)
        {
            var values = TensorData.ReadFloats(weight.Tensor);
            if (Array.Exists(values, v => !float.IsFinite(v)))
            {
                throw new OnnxModelException($"weight '{weight.Name}' holds NaN or infinite values; k-means weight sharing needs finite weights");
            }

            var result = KMeansCodebook.Cluster(values, step.IndexBits);
            var encoding = new CodebookEncoding(step.IndexBits, result.Centroids, result.Indices);
            context.Publish(weight.Graph, new EncodedTensor(weight.Name, DataType.Float, weight.Tensor.Dims.ToArray(), encoding));
            var zeros = Array.Exists(values, v => v == 0) ? ", exact zeros kept on their own centroid" : "";
            context.Note(weight.Name, TensorAction.Compressed,
                string.Create(CultureInfo.InvariantCulture, $"k-means weight sharing: {result.Centroids.Length} centroids, {step.IndexBits}-bit indices, {result.Iterations} iterations{zeros}"));
        }
    }
}
