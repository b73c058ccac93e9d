using Google.Protobuf;

namespace FleetQuant.Compression.Onnx;

/// <summary>
/// Reads and writes ONNX models through the generated protobuf classes. External tensor data is pulled in
/// on load, so every model in memory is self-contained.
/// </summary>
public static class OnnxModelFile
{
    /// <summary>Protobuf caps a message at 2 GiB; ONNX models larger than that must use external data.</summary>
    private const long MaxModelBytes = int.MaxValue;
    private const int MaxGraphNesting = 64;

    public static ModelProto Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new OnnxModelException($"model file not found: {path}");
        }

        var length = new FileInfo(path).Length;
        if (length > MaxModelBytes)
        {
            throw new OnnxModelException($"{path}: {length} bytes is over the 2 GiB protobuf limit; store the weights as external data");
        }

        using var stream = File.OpenRead(path);
        return Parse(stream, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
    }

    public static ModelProto Parse(ReadOnlySpan<byte> bytes, string? externalDataDirectory = null, string label = "model")
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return Parse(stream, externalDataDirectory, label);
    }

    private static ModelProto Parse(Stream stream, string? externalDataDirectory, string label)
    {
        ModelProto model;
        try
        {
            using var input = new CodedInputStream(stream, leaveOpen: true);
            model = ModelProto.Parser.WithDiscardUnknownFields(false).ParseFrom(input);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxModelException($"{label}: not a valid ONNX model ({ex.Message})", ex);
        }

        Validate(model, label);
        ResolveExternalData(model, externalDataDirectory, label);
        return model;
    }

    public static byte[] Serialize(ModelProto model) => model.ToByteArray();

    /// <summary>Writes atomically: a reader never sees a half-written model.</summary>
    public static void Save(ModelProto model, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Environment.ProcessId;
        using (var stream = File.Create(temp))
        {
            model.WriteTo(stream);
        }
        File.Move(temp, full, overwrite: true);
    }

    private static void Validate(ModelProto model, string label)
    {
        if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0))
        {
            throw new OnnxModelException($"{label}: not an ONNX model (no graph)");
        }

        var opset = model.DefaultOpset();
        if (opset is < 7)
        {
            throw new OnnxModelException($"{label}: opset {opset} is not supported (FleetQuant reads opset 7 and newer)");
        }

        var depth = OnnxGraphs.MaxNesting(model.Graph);
        if (depth > MaxGraphNesting)
        {
            throw new OnnxModelException($"{label}: subgraphs nested {depth} deep (limit {MaxGraphNesting})");
        }

        if (model.Graph.SparseInitializer.Count > 0)
        {
            throw new OnnxModelException($"{label}: sparse initializers are not supported");
        }
    }

    private static void ResolveExternalData(ModelProto model, string? directory, string label)
    {
        foreach (var tensor in OnnxGraphs.AllTensors(model))
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
            {
                continue;
            }

            if (directory is null)
            {
                throw new OnnxModelException($"{label}: tensor '{tensor.Name}' uses external data but the model was not loaded from a file");
            }

            tensor.RawData = ByteString.CopyFrom(ReadExternal(tensor, directory, label));
            tensor.ExternalData.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        }
    }

    private static byte[] ReadExternal(TensorProto tensor, string directory, string label)
    {
        var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
        {
            throw new OnnxModelException($"{label}: tensor '{tensor.Name}' has external data without a location");
        }

        var root = Path.GetFullPath(directory);
        var file = Path.GetFullPath(Path.Combine(root, location));
        if (!file.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new OnnxModelException($"{label}: tensor '{tensor.Name}' external data '{location}' points outside the model's directory");
        }

        if (!File.Exists(file))
        {
            throw new OnnxModelException($"{label}: tensor '{tensor.Name}' external data file '{location}' is missing");
        }

        var fileLength = new FileInfo(file).Length;
        var offset = entries.TryGetValue("offset", out var o) ? ParseLong(o, tensor, "offset", label) : 0;
        var length = entries.TryGetValue("length", out var l) ? ParseLong(l, tensor, "length", label) : fileLength - offset;
        var expected = TensorData.ByteSize(tensor);
        if (offset < 0 || length < 0 || offset + length > fileLength || (expected >= 0 && length != expected) || length > MaxModelBytes)
        {
            throw new OnnxModelException($"{label}: tensor '{tensor.Name}' external data range {offset}+{length} does not fit '{location}' ({fileLength} bytes) or its shape");
        }

        using var stream = File.OpenRead(file);
        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static long ParseLong(string text, TensorProto tensor, string what, string label) =>
        long.TryParse(text, out var value)
            ? value
            : throw new OnnxModelException($"{label}: tensor '{tensor.Name}' external data {what} '{text}' is not a number");
}
