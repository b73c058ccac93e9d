using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;

namespace FleetQuant.Benchmarks;

/// <summary>The models the benchmarks run on: ResNet18 from its NuGet package and the committed sample MLP.</summary>
public static class BenchModels
{
    public static string ResNet18Path
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var path = Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            return File.Exists(path) ? path : throw new FileNotFoundException($"ResNet18 not found at {path}; run a restore first");
        }
    }

    /// <summary>Every compressible weight of a model as (values, values per output channel).</summary>
    public static IReadOnlyList<(float[] Values, int RowLength)> Weights(ModelProto model) =>
        WeightCatalog.Find(model).Weights
            .Select(w => (TensorData.ReadFloats(w.Tensor), (int)(TensorData.ElementCount(w.Tensor) / w.OutputChannels)))
            .ToList();
}
