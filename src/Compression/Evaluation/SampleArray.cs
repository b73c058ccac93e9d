using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// <see cref="Count"/> samples of one tensor — a model input, or an output recorded with the data — each of
/// <see cref="SampleShape"/>, stored contiguously (sample-major) in a managed array of the element type
/// (<see cref="ElementTypes"/>). <see cref="Name"/> is the input or output it belongs to; null means "the model's
/// first input" (IDX images and a lone <c>.npy</c> file carry no name).
/// </summary>
public sealed class SampleArray
{
    /// <summary>Values one array may hold (64 Mi elements): a hostile header cannot make the loaders allocate more.</summary>
    public const long MaxElements = 64L * 1024 * 1024;

    public SampleArray(string? name, DataType elementType, long[] sampleShape, Array values)
    {
        var clr = ElementTypes.ClrType(elementType) ?? throw new ArgumentException($"element type {ElementTypes.Name(elementType)} is not supported", nameof(elementType));
        if (values.GetType().GetElementType() != clr)
        {
            throw new ArgumentException($"{ElementTypes.Name(elementType)} samples need a {clr.Name}[], got {values.GetType().Name}", nameof(values));
        }
        if (sampleShape.Any(d => d < 0))
        {
            throw new ArgumentException($"sample shape [{string.Join(",", sampleShape)}] has a negative dimension", nameof(sampleShape));
        }
        var sampleElements = sampleShape.Aggregate(1L, (a, d) => a > MaxElements ? a : a * d);
        if (sampleElements > MaxElements)
        {
            throw new ArgumentException($"samples of [{string.Join(",", sampleShape)}] exceed {MaxElements} values", nameof(sampleShape));
        }
        if (sampleElements == 0 ? values.Length != 0 : values.LongLength % sampleElements != 0)
        {
            throw new ArgumentException($"{values.LongLength} values do not split into samples of {sampleElements}", nameof(values));
        }
        Name = name;
        ElementType = elementType;
        SampleShape = sampleShape;
        SampleElements = sampleElements;
        Values = values;
        Count = sampleElements == 0 ? 0 : checked((int)(values.LongLength / sampleElements));
    }

    /// <summary>Float samples of one (possibly unnamed) input.</summary>
    public static SampleArray OfFloats(string? name, long[] sampleShape, float[] values) => new(name, DataType.Float, sampleShape, values);

    public string? Name { get; }

    public DataType ElementType { get; }

    /// <summary>Shape of one sample (without the sample axis).</summary>
    public long[] SampleShape { get; }

    public long SampleElements { get; }

    public int Count { get; }

    /// <summary>All samples, sample-major: a <c>float[]</c>, <c>long[]</c>, <c>bool[]</c>… as <see cref="ElementType"/> says.</summary>
    public Array Values { get; }

    /// <summary>The values as floats when the element type is float; otherwise a clear error.</summary>
    public float[] Floats => Values as float[] ?? throw new OnnxModelException($"{Describe()} holds {ElementTypes.Name(ElementType)} values, not float");

    /// <summary>Samples [start, start + count) as a new array of the same type.</summary>
    public Array Slice(int start, int count)
    {
        var slice = ElementTypes.NewArray(ElementType, count * SampleElements);
        Array.Copy(Values, start * SampleElements, slice, 0, count * SampleElements);
        return slice;
    }

    /// <summary>The first <paramref name="count"/> samples (all of them when there are fewer).</summary>
    public SampleArray Take(int count) =>
        count >= Count ? this : new SampleArray(Name, ElementType, SampleShape, Slice(0, Math.Max(0, count)));

    /// <summary>One sample's values as doubles, for comparing outputs whatever their type.</summary>
    public double[] SampleAsDoubles(int index)
    {
        var values = new double[SampleElements];
        var offset = index * SampleElements;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ElementTypes.ToDouble(ElementType, Values, offset + i);
        }
        return values;
    }

    public string Describe() =>
        $"'{Name ?? "(first input)"}' ({ElementTypes.Name(ElementType)}[{string.Join(",", SampleShape)}] × {Count})";
}
