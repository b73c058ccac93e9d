using FleetQuant.Compression.TensorCoding;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pipeline;

/// <summary>The model being compressed and what the steps so far have recorded about it.</summary>
public sealed class CompressionContext(ModelProto model, Recipe recipe, EvalSet? calibration)
{
    private readonly Dictionary<string, EncodedTensor> _encodings = new(StringComparer.Ordinal);
    private readonly List<TensorNote> _notes = [];
    private readonly List<EncodedTensor> _published = [];

    public ModelProto Model { get; } = model;

    public Recipe Recipe { get; } = recipe;

    /// <summary>Data for steps that measure (activation importance); null when none was given.</summary>
    public EvalSet? Calibration { get; } = calibration;

    public IReadOnlyDictionary<string, EncodedTensor> Encodings => _encodings;

    public IReadOnlyList<TensorNote> Notes => _notes;

    /// <summary>Every encoding published so far, in order, including ones a same-named tensor of another graph replaced in <see cref="Encodings"/>.</summary>
    public IReadOnlyList<EncodedTensor> Published => _published;

    /// <summary>The compressible weights as the model stands now (structural steps change them).</summary>
    public IReadOnlyList<WeightRef> Weights() => WeightCatalog.Find(Model).Weights;

    /// <summary>The weight-coding step for one weight: its per-layer override, else the recipe's.</summary>
    public RecipeStep? WeightCodingFor(string tensorName) =>
        Recipe.LayerOverrides.TryGetValue(tensorName, out var step) ? step : Recipe.WeightCoding;

    public void Note(string tensor, TensorAction action, string detail) => _notes.Add(new TensorNote(tensor, action, detail));

    /// <summary>
    /// Puts an encoded tensor into <paramref name="graph"/> as an initializer (replacing one of the same name)
    /// and remembers its wire form. The runtime tensor is always materialized from the encoding, so the two
    /// cannot disagree.
    /// </summary>
    public void Publish(GraphProto graph, EncodedTensor tensor)
    {
        tensor.Validate();
        var materialized = tensor.Materialize();
        var index = graph.Initializer.ToList().FindIndex(t => t.Name == tensor.Name);
        if (index >= 0)
        {
            graph.Initializer[index] = materialized;
        }
        else
        {
            graph.Initializer.Add(materialized);
        }
        _encodings[tensor.Name] = tensor;
        _published.Add(tensor);
    }

    /// <summary>Adds or replaces a plain initializer (scales, zero points, shapes) that travels raw.</summary>
    public void AddInitializer(GraphProto graph, TensorProto tensor)
    {
        var index = graph.Initializer.ToList().FindIndex(t => t.Name == tensor.Name);
        if (index >= 0)
        {
            graph.Initializer[index] = tensor;
        }
        else
        {
            graph.Initializer.Add(tensor);
        }
        _encodings.Remove(tensor.Name);
    }

    /// <summary>Forgets the encoding of a tensor a step removed or rewrote as plain data.</summary>
    public void Forget(string tensorName) => _encodings.Remove(tensorName);
}
