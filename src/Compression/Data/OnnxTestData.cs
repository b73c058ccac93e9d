using System.Globalization;
using System.Text.RegularExpressions;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Reads ONNX test data in the model-zoo layout: <c>test_data_set_N/input_K.pb</c> (and optionally
/// <c>output_K.pb</c>), each a serialized <see cref="TensorProto"/>. One directory is one sample whose shape is the
/// tensor's full dims; a folder of such directories is a set of samples (ordered by N) that must agree on names,
/// element types and shapes. Tensors without a name take the model's K-th input or output name.
/// </summary>
public static partial class OnnxTestData
{
    /// <summary>Largest <c>.pb</c> file read: one array at the value limit, 8 bytes a value, plus framing.</summary>
    public const long MaxTensorFileBytes = SampleArray.MaxElements * 8 + (1 << 20);

    /// <summary>Most test-data directories one folder may hold.</summary>
    public const int MaxSets = 100_000;

    private const string SetPrefix = "test_data_set_";

    /// <summary>True when <paramref name="path"/> is a test-data directory or a folder holding <c>test_data_set_N</c> ones.</summary>
    public static bool IsTestData(string path) =>
        Directory.Exists(path) && (HasTensorFiles(path) || Directory.EnumerateDirectories(path, SetPrefix + "*").Any(d => SetIndex(d) is not null));

    public static EvalSet Load(string path, ModelSignature model)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"ONNX test data not found: {path}");
        }
        List<string> sets = HasTensorFiles(path) ? [path] : SetDirectories(path);
        var samples = new List<Sample>();
        foreach (var set in sets)
        {
            var sample = ReadSet(set, model);
            if (samples.Count > 0)
            {
                RequireSameLayout(samples[0], sample);
            }
            samples.Add(sample);
            // Checked as sets arrive, so a folder of many large sets fails before it is all in memory.
            var largest = sample.Inputs.Concat(sample.Outputs).Max(t => t.Values.LongLength);
            if (largest * samples.Count > SampleArray.MaxElements)
            {
                throw new InvalidDataException($"{path}: {samples.Count} test-data sets of {largest} values exceed the {SampleArray.MaxElements}-value limit of one input or output");
            }
        }
        var inputs = Enumerable.Range(0, samples[0].Inputs.Count).Select(k => Stack(samples.Select(s => s.Inputs[k]).ToList())).ToList();
        var outputs = Enumerable.Range(0, samples[0].Outputs.Count).Select(k => Stack(samples.Select(s => s.Outputs[k]).ToList())).ToList();
        return new EvalSet(inputs, references: outputs, source: path);
    }

    private sealed record Tensor(string File, string Name, DataType ElementType, long[] Dims, Array Values);

    private sealed record Sample(string Directory, IReadOnlyList<Tensor> Inputs, IReadOnlyList<Tensor> Outputs);

    private static bool HasTensorFiles(string directory) =>
        Directory.EnumerateFiles(directory, "input_*.pb").Any(f => FileIndex(f, "input_") is not null);

    private static List<string> SetDirectories(string folder)
    {
        var sets = Directory.EnumerateDirectories(folder, SetPrefix + "*")
            .Select(d => (Path: d, Index: SetIndex(d)))
            .Where(d => d.Index is not null)
            .OrderBy(d => d.Index)
            .Select(d => d.Path)
            .ToList();
        if (sets.Count == 0)
        {
            throw new FileNotFoundException($"{folder}: no input_K.pb files and no {SetPrefix}N directories here", folder);
        }
        return sets.Count <= MaxSets
            ? sets
            : throw new InvalidDataException($"{folder}: holds {sets.Count} test-data sets, over the {MaxSets}-set limit");
    }

    private static Sample ReadSet(string directory, ModelSignature model)
    {
        var inputs = ReadTensors(directory, "input_", model.InputNames, "input");
        if (inputs.Count == 0)
        {
            throw new FileNotFoundException($"{directory}: no input_K.pb files in this test-data set", directory);
        }
        return new Sample(directory, inputs, ReadTensors(directory, "output_", model.OutputNames, "output"));
    }

    /// <summary>Files <c>PREFIX0.pb</c>, <c>PREFIX1.pb</c>… in order; a gap in the numbering is an error.</summary>
    private static List<Tensor> ReadTensors(string directory, string prefix, IReadOnlyList<string> modelNames, string role)
    {
        var files = Directory.EnumerateFiles(directory, prefix + "*.pb")
            .Select(f => (Path: f, Index: FileIndex(f, prefix)))
            .Where(f => f.Index is not null)
            .OrderBy(f => f.Index)
            .ToList();
        var tensors = new List<Tensor>();
        for (var k = 0; k < files.Count; k++)
        {
            if (files[k].Index != k)
            {
                throw new InvalidDataException($"{directory}: {prefix}{k}.pb is missing (found {Path.GetFileName(files[k].Path)})");
            }
            tensors.Add(ReadTensor(files[k].Path, k, modelNames, role));
        }
        var twice = tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null
            ? tensors
            : throw new InvalidDataException($"{directory}: {string.Join(" and ", twice.Select(t => Path.GetFileName(t.File)))} both hold {role} '{twice.Key}'");
    }

    private static Tensor ReadTensor(string file, int index, IReadOnlyList<string> modelNames, string role)
    {
        var length = new FileInfo(file).Length;
        if (length > MaxTensorFileBytes)
        {
            throw new InvalidDataException($"{file}: {length} bytes, over the {MaxTensorFileBytes}-byte limit for one tensor file");
        }
        TensorProto tensor;
        try
        {
            tensor = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"{file}: not a serialized ONNX TensorProto ({ex.Message})", ex);
        }

        var name = tensor.Name.Length > 0 ? tensor.Name
            : index < modelNames.Count ? modelNames[index]
            : throw new InvalidDataException($"{file}: the tensor has no name and the model has no {role} {index} to take one from");
        if (modelNames.Count > 0 && !modelNames.Contains(name, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{file}: '{name}' is not one of the model's {role}s ({string.Join(", ", modelNames)})");
        }
        var type = (DataType)tensor.DataType;
        if (tensor.Dims.Any(d => d < 0))
        {
            throw new InvalidDataException($"{file}: tensor '{name}' has a negative dimension [{string.Join(",", tensor.Dims)}]");
        }
        var count = tensor.Dims.Aggregate(1L, (a, d) => a > SampleArray.MaxElements ? a : a * Math.Min(d, SampleArray.MaxElements + 1));
        if (count > SampleArray.MaxElements)
        {
            throw new InvalidDataException($"{file}: tensor '{name}' declares [{string.Join(",", tensor.Dims)}], over the {SampleArray.MaxElements}-value limit");
        }
        try
        {
            return new Tensor(file, name, type, tensor.Dims.ToArray(), TensorData.ReadArray(tensor));
        }
        catch (OnnxModelException ex)
        {
            throw new InvalidDataException($"{file}: {ex.Message}", ex);
        }
    }

    private static void RequireSameLayout(Sample first, Sample other)
    {
        foreach (var (role, a, b) in new[] { ("input", first.Inputs, other.Inputs), ("output", first.Outputs, other.Outputs) })
        {
            if (a.Count != b.Count)
            {
                throw new InvalidDataException($"{other.Directory}: holds {b.Count} {role}s but {first.Directory} holds {a.Count}");
            }
            foreach (var (x, y) in a.Zip(b))
            {
                if (x.Name != y.Name || x.ElementType != y.ElementType || !x.Dims.SequenceEqual(y.Dims))
                {
                    throw new InvalidDataException($"{y.File}: {role} {Describe(y)} differs from {Describe(x)} in {x.File}; every test-data set must have the same names, types and shapes");
                }
            }
        }
    }

    private static SampleArray Stack(IReadOnlyList<Tensor> samples)
    {
        var first = samples[0];
        var sampleElements = first.Values.LongLength;
        var values = ElementTypes.NewArray(first.ElementType, sampleElements * samples.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            Array.Copy(samples[i].Values, 0, values, i * sampleElements, sampleElements);
        }
        return new SampleArray(first.Name, first.ElementType, first.Dims, values);
    }

    private static string Describe(Tensor tensor) => $"'{tensor.Name}' {ElementTypes.Name(tensor.ElementType)}[{string.Join(",", tensor.Dims)}]";

    private static int? SetIndex(string directory) => ParseIndex(Path.GetFileName(directory), SetPrefix, "");

    private static int? FileIndex(string file, string prefix) => ParseIndex(Path.GetFileName(file), prefix, ".pb");

    private static int? ParseIndex(string name, string prefix, string suffix)
    {
        var match = IndexPattern().Match(name);
        return match.Success && name == prefix + match.Groups[1].Value + suffix
            && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }

    [GeneratedRegex(@"_(\d+)(?:\.pb)?$")]
    private static partial Regex IndexPattern();
}
