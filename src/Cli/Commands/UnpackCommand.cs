using System.CommandLine;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Cli.Commands;

/// <summary><c>fleetquant unpack --artifact a.fqa --out m.onnx</c>: streams an artifact back into an ONNX model.</summary>
public static class UnpackCommand
{
    public static Command Create()
    {
        var artifact = new Option<string>("--artifact") { Description = "Artifact (.fqa) to decode", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the ONNX model", Required = true };
        var command = new Command("unpack", "Decode an artifact into the ONNX model it holds") { artifact, output };
        command.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            using var input = ArtifactFiles.OpenRead(parse.GetValue(artifact)!, "artifact");
            var info = ArtifactFiles.WriteAtomically(outPath, s => ArtifactReader.Unpack(input, s));
            Console.Out.WriteLine($"unpacked {info.RecipeId} → {outPath}: {info.DecodedBytes} bytes, {info.TensorCount} tensors, largest tensor {info.LargestTensorBytes} bytes, peak extra memory {info.PeakExtraBytes} bytes");
            return 0;
        });
        return command;
    }
}
