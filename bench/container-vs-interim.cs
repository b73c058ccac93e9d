#:project ../src/Compression/FleetQuant.Compression.csproj
#:property PublishAot=false
// Artifact container bytes vs the interim "encoded tensors + zstd-19" wire size, per recipe (issue 3 requirement).
// Usage: dotnet run -c Release bench/container-vs-interim.cs -- <model.onnx> <recipe> [recipe ...]
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;

var model = OnnxModelFile.Load(args[0]);
foreach (var id in args.Skip(1))
{
    var compressed = ModelCompressor.Compress(model, Recipe.Parse(id));
    var container = ArtifactWriter.Pack(compressed).Length;
    var interim = InterimWireSize.Measure(compressed);
    Console.WriteLine($"| {id} | {container} | {interim} | {100.0 * container / interim:F1} % |");
}
