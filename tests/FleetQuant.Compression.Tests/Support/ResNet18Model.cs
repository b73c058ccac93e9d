namespace FleetQuant.Compression.Tests.Support;

/// <summary>A real third-party model that this project's package references bring along.</summary>
public static class ResNet18Model
{
    /// <summary>ResNet18 (opset 8, weights in float_data) from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package.</summary>
    public static string Path
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var path = System.IO.Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            return File.Exists(path) ? path : throw new FileNotFoundException($"ResNet18 not found at {path}; run a restore first");
        }
    }
}
