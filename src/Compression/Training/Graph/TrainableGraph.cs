using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training.Graph.Ops;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Training.Graph;

/// <summary>
/// An ONNX graph made executable in float32 with reverse-mode gradients. Float initializers are the parameters
/// (which of them train is selectable); integer initializers serve as build-time shapes. A node outside the
/// trainable subset makes <see cref="Build"/> throw <see cref="UntrainableGraphException"/>.
/// </summary>
public sealed class TrainableGraph
{
    private readonly ModelProto _model;
    private readonly List<(TrainableOp Op, int[] Inputs, int[] Outputs)> _nodes;
    private readonly List<string> _valueNames;
    private readonly GraphTensor?[] _constants;
    private readonly GraphParameter?[] _parameterOf;
    private readonly bool[] _requiresGradient;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int> _producers = [];

    private readonly bool _batchStatistics;

    private TrainableGraph(ModelProto model, Func<string, bool>? trainable, bool batchStatistics)
    {
        _model = model;
        _batchStatistics = batchStatistics;
        var graph = model.Graph ?? throw new OnnxModelException("the model has no graph");
        var opset = model.DefaultOpset() ?? throw new OnnxModelException("the model imports no default-domain opset");
        _valueNames = [];
        _ids = [];
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var integers = new Dictionary<string, long[]>();
        var floats = new Dictionary<string, float[]>();
        foreach (var tensor in graph.Initializer)
        {
            AddConstant(tensor, integers, floats);
        }
        foreach (var constant in graph.Node.Where(n => n.OpType == "Constant" && n.Domain is "" or "ai.onnx"))
        {
            var value = constant.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                ?? throw new UntrainableGraphException("Constant", constant.Name, "only the tensor form ('value') of Constant is supported");
            value = value.Clone();
            value.Name = constant.Output[0];
            AddConstant(value, integers, floats);
        }

        var inputs = new List<GraphInput>();
        foreach (var input in graph.Input.Where(i => !initializers.ContainsKey(i.Name)))
        {
            var type = input.Type?.TensorType;
            if (type is null || type.ElemType != (int)DataType.Float)
            {
                throw new UntrainableGraphException("input", input.Name, "graph inputs must be float tensors");
            }
            Id(input.Name);
            inputs.Add(new GraphInput(input.Name, type.Shape?.Dim.Select(d => d.HasDimValue ? (int?)d.DimValue : null).ToArray()));
        }
        Inputs = inputs;

        var constantsById = new Dictionary<int, GraphTensor>();
        var parameters = new List<GraphParameter>();
        var parameterById = new Dictionary<int, GraphParameter>();
        var statistics = new HashSet<string>();
        var lookup = new OpFactory.Constants(integers, floats);
        _nodes = [];
        var available = new HashSet<string>(inputs.Select(i => i.Name)) { "" };
        var unusable = new Dictionary<string, string>();
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx")
            {
                continue;
            }
            var op = OpFactory.Create(node, opset, lookup);
            var ids = new int[op.DataInputs];
            for (var i = 0; i < Math.Min(op.DataInputs, node.Input.Count); i++)
            {
                var name = node.Input[i];
                ids[i] = name.Length == 0 ? -1 : Id(name);
                if (name.Length == 0 || available.Contains(name))
                {
                    continue;
                }
                if (unusable.TryGetValue(name, out var why))
                {
                    throw new UntrainableGraphException(node.OpType, op.Name, $"reads '{name}', {why}");
                }
                if (floats.TryGetValue(name, out var values))
                {
                    var tensor = new GraphTensor(Dims(initializers.TryGetValue(name, out var init) ? init : null, values.Length), values);
                    if (initializers.ContainsKey(name))
                    {
                        var parameter = new GraphParameter(name, tensor, trainable?.Invoke(name) ?? !op.StatisticInputs.Contains(i));
                        parameters.Add(parameter);
                        parameterById[ids[i]] = parameter;
                    }
                    else
                    {
                        constantsById[ids[i]] = tensor;
                    }
                    available.Add(name);
                    continue;
                }
                throw new UntrainableGraphException(node.OpType, op.Name, integers.ContainsKey(name)
                    ? $"reads the integer tensor '{name}' as data; the trainer computes in float32"
                    : $"reads '{name}', which no earlier node, initializer or graph input provides");
            }
            for (var i = op.DataInputs; i < node.Input.Count; i++)
            {
                // Build-time inputs (shapes, ratios) were read by the factory; nothing flows through them.
                available.Add(node.Input[i]);
            }
            var outputs = new int[node.Output.Count];
            for (var o = 0; o < outputs.Length; o++)
            {
                var name = node.Output[o];
                outputs[o] = name.Length == 0 ? -1 : Id(name);
                // Every op computes its first output; later ones (Dropout's mask, MaxPool's Indices) are refused only if read.
                if (o == 0)
                {
                    available.Add(name);
                    _producers[name] = _nodes.Count;
                }
                else if (name.Length > 0)
                {
                    unusable[name] = $"output #{o} of node '{op.Name}' ({node.OpType}), which the trainer does not compute";
                }
            }
            _nodes.Add((op, ids, outputs));
        }

        Outputs = graph.Output.Select(o => o.Name).ToArray();
        foreach (var output in Outputs)
        {
            if (!available.Contains(output))
            {
                throw new UntrainableGraphException("output", output, unusable.TryGetValue(output, out var why) ? why : "no node computes it");
            }
        }
        Parameters = parameters;
        _constants = new GraphTensor?[_valueNames.Count];
        _parameterOf = new GraphParameter?[_valueNames.Count];
        foreach (var (id, tensor) in constantsById)
        {
            _constants[id] = tensor;
        }
        foreach (var (id, parameter) in parameterById)
        {
            _constants[id] = parameter.Tensor;
            _parameterOf[id] = parameter;
        }
        _requiresGradient = new bool[_valueNames.Count];
        foreach (var (id, parameter) in parameterById)
        {
            _requiresGradient[id] = parameter.Trainable;
        }
        foreach (var (_, ins, outs) in _nodes)
        {
            if (ins.Any(i => i >= 0 && _requiresGradient[i]))
            {
                foreach (var o in outs.Where(o => o >= 0))
                {
                    _requiresGradient[o] = true;
                }
            }
        }
    }

    public IReadOnlyList<GraphParameter> Parameters { get; }

    public IReadOnlyList<GraphParameter> TrainableParameters => Parameters.Where(p => p.Trainable).ToArray();

    public IReadOnlyList<GraphInput> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }

    /// <summary>
    /// Builds the executable graph. <paramref name="trainable"/> picks trainable initializers by name; by default all
    /// float initializers train except BatchNormalization's running statistics. With <paramref name="batchStatistics"/>,
    /// training runs normalise BatchNormalization inputs by the batch's statistics and move the running ones towards
    /// them (PyTorch's train mode); otherwise the running statistics are used throughout (frozen BatchNorm).
    /// </summary>
    public static TrainableGraph Build(ModelProto model, Func<string, bool>? trainable = null, bool batchStatistics = false) => new(model, trainable, batchStatistics);

    /// <summary>The op type of the node computing <paramref name="value"/>, or null for inputs and constants.</summary>
    public string? ProducerOp(string value) => _producers.TryGetValue(value, out var node) ? _nodes[node].Op.Node.OpType : null;

    /// <summary>The first input of the node computing <paramref name="value"/> (the logits behind a Softmax output).</summary>
    public string? ProducerInput(string value) => _producers.TryGetValue(value, out var node) ? _nodes[node].Op.Node.Input[0] : null;

    /// <summary>Runs every node. <paramref name="training"/> turns Dropout on, drawing its masks from <paramref name="random"/>.</summary>
    public GraphRun Forward(IReadOnlyDictionary<string, GraphTensor> feeds, bool training = false, Random? random = null)
    {
        var values = (GraphTensor?[])_constants.Clone();
        foreach (var input in Inputs)
        {
            if (!feeds.TryGetValue(input.Name, out var feed))
            {
                throw new GraphExecutionException($"no value fed for input '{input.Name}'");
            }
            if (input.Dimensions is { } dims && (dims.Count != feed.Rank || dims.Where((d, i) => d is { } size && size != feed.Shape[i]).Any()))
            {
                throw new GraphExecutionException($"input '{input.Name}' is declared [{string.Join(",", input.Dimensions!.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"))}], fed {feed.DescribeShape()}");
            }
            values[_ids[input.Name]] = feed;
        }
        var context = new OpContext(training, random ?? new Random(0), training && _batchStatistics);
        var saved = new object?[_nodes.Count];
        for (var n = 0; n < _nodes.Count; n++)
        {
            var (op, ins, outs) = _nodes[n];
            var arguments = ins.Select(i => i < 0 ? null : values[i]).ToArray();
            context.Saved = null;
            var results = op.Forward(arguments, context);
            saved[n] = context.Saved;
            for (var o = 0; o < Math.Min(results.Length, outs.Length); o++)
            {
                if (outs[o] >= 0)
                {
                    values[outs[o]] = results[o];
                }
            }
        }
        return new GraphRun(this, values, saved, context.Flops);
    }

    /// <summary>
    /// Back-propagates <paramref name="gradient"/> (d loss / d <paramref name="value"/>) of <paramref name="run"/>
    /// and adds the parameters' gradients to <see cref="GraphParameter.Gradient"/>. Returns the backward pass's FLOPs.
    /// </summary>
    public long Backward(GraphRun run, string value, GraphTensor gradient)
    {
        if (run.Graph != this)
        {
            throw new ArgumentException("the run belongs to another graph", nameof(run));
        }
        if (!_ids.TryGetValue(value, out var target) || run.Values[target] is not { } forward)
        {
            throw new GraphExecutionException($"'{value}' is not a value of the last run");
        }
        if (!forward.Shape.AsSpan().SequenceEqual(gradient.Shape))
        {
            throw new GraphExecutionException($"the gradient of '{value}' has shape {gradient.DescribeShape()}, the value {forward.DescribeShape()}");
        }
        var gradients = new GraphTensor?[_valueNames.Count];
        gradients[target] = gradient;
        var context = new OpContext(training: true, new Random(0));
        for (var n = _nodes.Count - 1; n >= 0; n--)
        {
            var (op, ins, outs) = _nodes[n];
            if (!outs.Any(o => o >= 0 && gradients[o] is not null))
            {
                continue;
            }
            var needed = ins.Select(i => i >= 0 && _requiresGradient[i]).ToArray();
            if (!needed.Any(x => x))
            {
                continue;
            }
            var outputs = outs.Select(o => o >= 0 ? run.Values[o]! : null!).ToArray();
            var outputGradients = outs.Select((o, k) => o >= 0 && gradients[o] is { } g ? g : new GraphTensor(outputs[k]?.Shape ?? [0])).ToArray();
            var arguments = ins.Select(i => i < 0 ? null : run.Values[i]).ToArray();
            var inputGradients = op.Backward(arguments, outputs, outputGradients, run.Saved[n], needed, context);
            for (var i = 0; i < ins.Length; i++)
            {
                if (!needed[i] || i >= inputGradients.Length || inputGradients[i] is not { } g)
                {
                    continue;
                }
                gradients[ins[i]] = gradients[ins[i]] is { } existing ? Sum(existing, g) : g;
            }
        }
        for (var id = 0; id < gradients.Length; id++)
        {
            if (_parameterOf[id] is { Trainable: true } parameter && gradients[id] is { } g)
            {
                TensorPrimitives.Add(parameter.Gradient, g.Data, parameter.Gradient);
            }
        }
        return context.Flops;
    }

    public void ZeroGradients()
    {
        foreach (var parameter in Parameters)
        {
            Array.Clear(parameter.Gradient);
        }
    }

    /// <summary>
    /// The model with the same graph and the parameters' current values in its initializers: the trained ones, and
    /// running statistics that batch-statistics training moved. Initializers whose values did not change keep their bytes.
    /// </summary>
    public ModelProto Export()
    {
        var copy = _model.Clone();
        var byName = Parameters.ToDictionary(p => p.Name);
        foreach (var tensor in copy.Graph.Initializer)
        {
            if (byName.TryGetValue(tensor.Name, out var parameter) && (parameter.Trainable || !TensorData.ReadFloats(tensor).AsSpan().SequenceEqual(parameter.Value)))
            {
                TensorData.WriteFloats(tensor, parameter.Value);
            }
        }
        return copy;
    }

    internal int IdOf(string value) => _ids.TryGetValue(value, out var id) ? id : -1;

    private int Id(string name)
    {
        if (!_ids.TryGetValue(name, out var id))
        {
            id = _valueNames.Count;
            _ids[name] = id;
            _valueNames.Add(name);
        }
        return id;
    }

    private static GraphTensor Sum(GraphTensor a, GraphTensor b)
    {
        var data = new float[a.Length];
        TensorPrimitives.Add(a.Data, b.Data, data);
        return new GraphTensor(a.Shape, data);
    }

    private static int[] Dims(TensorProto? tensor, int length) =>
        tensor is null ? [length] : tensor.Dims.Select(d => checked((int)d)).ToArray();

    private static void AddConstant(TensorProto tensor, Dictionary<string, long[]> integers, Dictionary<string, float[]> floats)
    {
        switch ((DataType)tensor.DataType)
        {
            case DataType.Float:
                floats[tensor.Name] = TensorData.ReadFloats(tensor);
                break;
            case DataType.Int64 or DataType.Int32:
                integers[tensor.Name] = TensorData.ReadInt64s(tensor);
                break;
        }
    }
}

/// <summary>The values of one forward pass, kept for the backward pass.</summary>
public sealed class GraphRun
{
    internal GraphRun(TrainableGraph graph, GraphTensor?[] values, object?[] saved, long flops)
    {
        Graph = graph;
        Values = values;
        Saved = saved;
        Flops = flops;
    }

    public long Flops { get; }

    internal TrainableGraph Graph { get; }

    internal GraphTensor?[] Values { get; }

    internal object?[] Saved { get; }

    public GraphTensor Value(string name) =>
        Graph.IdOf(name) is var id and >= 0 && Values[id] is { } value ? value : throw new GraphExecutionException($"'{name}' was not computed");
}
