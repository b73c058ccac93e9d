using FleetQuant.Compression.Evaluation;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Loads the evaluation data a verb's <c>--data</c> names, whatever its format: a <c>.npy</c> array for the model's
/// first input, a <c>.npz</c> archive of arrays named by input (with optional <c>labels</c> and
/// <c>reference_OUTPUT</c> arrays), ONNX test data (<c>test_data_set_N</c> directories), or IDX images and labels.
/// Every problem with the data is an <see cref="InvalidDataException"/> (a missing path a
/// <see cref="FileNotFoundException"/>) naming the file.
/// </summary>
public static class DataSetFile
{
    public const string LabelsArray = "labels";
    public const string ReferencePrefix = "reference_";

    public static EvalSet Load(string path, ModelSignature model)
    {
        if (Directory.Exists(path))
        {
            return OnnxTestData.IsTestData(path) ? OnnxTestData.Load(path, model) : LoadIdx(path, model);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"evaluation data not found: {path} (give a .npy or .npz file, an ONNX test-data directory, or IDX images)", path);
        }
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".npy" => LoadNpy(path),
            ".npz" => LoadNpz(path, model),
            ".pb" => OnnxTestData.Load(Path.GetDirectoryName(Path.GetFullPath(path))!, model),
            _ => LoadIdx(path, model),
        };
    }

    private static EvalSet LoadIdx(string path, ModelSignature model)
    {
        var set = EvalSetFile.Load(path, model.FirstInputSampleShape);
        return new EvalSet(set.Inputs, set.Labels, set.References, path);
    }

    private static EvalSet LoadNpy(string path)
    {
        var array = NpyFile.Read(path);
        return new EvalSet([Samples(null, array, path)], source: path);
    }

    private static EvalSet LoadNpz(string path, ModelSignature model)
    {
        var inputs = new List<SampleArray>();
        var references = new List<SampleArray>();
        (string Name, NpyArray Array)? labels = null;
        foreach (var (name, array) in NpzFile.Read(path))
        {
            var label = $"{path}, array '{name}'";
            if (model.InputNames.Contains(name, StringComparer.Ordinal))
            {
                inputs.Add(Samples(name, array, label));
            }
            else if (name == LabelsArray)
            {
                labels = (name, array);
            }
            else if (name.StartsWith(ReferencePrefix, StringComparison.Ordinal) && model.OutputNames.Contains(name[ReferencePrefix.Length..], StringComparer.Ordinal))
            {
                references.Add(Samples(name[ReferencePrefix.Length..], array, label));
            }
            else
            {
                throw new InvalidDataException($"{label} names no model input; arrays must be named after the inputs ({string.Join(", ", model.InputNames)}), "
                    + $"'{LabelsArray}', or '{ReferencePrefix}' + an output ({string.Join(", ", model.OutputNames)})");
            }
        }
        if (inputs.Count == 0)
        {
            throw new InvalidDataException($"{path}: holds no array for any model input ({string.Join(", ", model.InputNames)})");
        }
        var count = inputs[0].Count;
        var mismatched = inputs.Concat(references).FirstOrDefault(a => a.Count != count);
        if (mismatched is not null)
        {
            throw new InvalidDataException($"{path}: every array must hold the same number of samples, but {inputs[0].Describe()} and {mismatched.Describe()} differ");
        }
        return new EvalSet(inputs, labels is { } l ? Labels(l.Array, count, $"{path}, array '{l.Name}'") : null, references, path);
    }

    /// <summary>An array whose first axis counts samples.</summary>
    private static SampleArray Samples(string? name, NpyArray array, string label)
    {
        if (array.Shape.Length == 0)
        {
            throw new InvalidDataException($"{label}: a 0-d array has no sample axis; put samples on the first axis");
        }
        return new SampleArray(name, array.ElementType, array.Shape[1..], array.Values);
    }

    /// <summary>Class indices from any integer array of shape [N] or [N, 1].</summary>
    private static int[] Labels(NpyArray array, int count, string label)
    {
        if (!ElementTypes.IsInteger(array.ElementType) || array.Shape.Length is 0 or > 2 || (array.Shape.Length == 2 && array.Shape[1] != 1))
        {
            throw new InvalidDataException($"{label}: labels must be integers of shape [N] or [N,1], found {array.DescribeShape()}");
        }
        if (array.Values.LongLength != count)
        {
            throw new InvalidDataException($"{label}: {array.Values.LongLength} labels for {count} samples");
        }
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            var value = ElementTypes.ToDouble(array.ElementType, array.Values, i);
            if (value is < 0 or > int.MaxValue)
            {
                throw new InvalidDataException($"{label}: label {i} is {value}; class indices run from 0 to {int.MaxValue}");
            }
            labels[i] = (int)value;
        }
        return labels;
    }
}
