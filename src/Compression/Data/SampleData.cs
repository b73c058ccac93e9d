using System.Runtime.CompilerServices;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Finds the Fashion-MNIST data and the committed sample models. The full test set comes from the Debian package
/// <c>dataset-fashion-mnist</c> when it is installed; otherwise the 1,000-image subset committed under
/// <c>samples/data</c> is used, so demos and tests run on a clean clone.
/// </summary>
public static class SampleData
{
    /// <summary>Environment variable naming the samples directory, overriding the search for the repository.</summary>
    public const string SamplesEnvironmentVariable = "FLEETQUANT_SAMPLES";

    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the IDX files.</summary>
    public const string DebianFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    public const string FashionMlpV1 = "fashion-mlp-v1.onnx";
    public const string FashionMlpV2 = "fashion-mlp-v2.onnx";
    public const string EvalSetPrefix = "fashion-mnist-eval";
    public const string EvalImagesFile = EvalSetPrefix + "-images-idx3-ubyte.gz";
    public const string EvalLabelsFile = EvalSetPrefix + "-labels-idx1-ubyte.gz";

    /// <summary>The full Fashion-MNIST test set when installed, else the committed evaluation subset.</summary>
    public static string FindFashionMnistTestSet() =>
        FindDebianFile("t10k-images-idx3-ubyte.gz") ?? FindCommittedEvalSet();

    /// <summary>The committed 1,000-image evaluation subset (samples/data).</summary>
    public static string FindCommittedEvalSet()
    {
        var path = Path.Combine(SamplesDirectory(), "data", EvalImagesFile);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"the committed evaluation subset is missing: {path}", path);
    }

    /// <summary>Path of a committed sample model, e.g. <see cref="FashionMlpV1"/>.</summary>
    public static string ModelPath(string fileName)
    {
        var path = Path.Combine(SamplesDirectory(), "models", fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"sample model not found: {path}; regenerate it with 'fleetquant train-sample --out samples/models'", path);
    }

    /// <summary>
    /// The samples directory: $FLEETQUANT_SAMPLES when set, else <c>samples/</c> in the first folder above the
    /// application that holds FleetQuant.sln.
    /// </summary>
    public static string SamplesDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable(SamplesEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return Directory.Exists(overridden)
                ? Path.GetFullPath(overridden)
                : throw new DirectoryNotFoundException($"{SamplesEnvironmentVariable}={overridden} is not a directory");
        }

        // Builds may put binaries outside the checkout (FQ_ARTIFACTS), so the working directory and the location
        // this file was compiled from are searched too.
        string[] starts = [AppContext.BaseDirectory, Environment.CurrentDirectory, CompiledFrom()];
        foreach (var start in starts.Where(s => s.Length > 0))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FleetQuant.sln")))
                {
                    return Path.Combine(dir.FullName, "samples");
                }
            }
        }
        throw new DirectoryNotFoundException($"no FleetQuant.sln above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; set {SamplesEnvironmentVariable} to the samples directory");
    }

    private static string CompiledFrom([CallerFilePath] string sourceFile = "") =>
        Path.IsPathRooted(sourceFile) ? Path.GetDirectoryName(sourceFile) ?? "" : "";

    private static string? FindDebianFile(string imagesFile)
    {
        var images = Path.Combine(DebianFashionMnistDirectory, imagesFile);
        var labels = images.Replace("-images-idx3-", "-labels-idx1-", StringComparison.Ordinal);
        return File.Exists(images) && File.Exists(labels) ? images : null;
    }
}
