using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Cuts the tableable initializers of every subgraph (If / Loop / Scan bodies, at any depth) out of a serialized
/// GraphProto. Each is identified by where its field sat in the bytes that remain, so names that repeat across
/// branches need no key of their own; the enclosing messages keep their lengths, which count the tensors decoded back in.
/// </summary>
internal static class SubgraphInitializers
{
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int NodeAttribute = 5;
    private const int AttributeGraph = 6;
    private const int AttributeGraphs = 11;
    private const int LengthDelimited = 2;

    public static (byte[] Skeleton, IReadOnlyList<(long Offset, TensorProto Tensor)> Tensors) Cut(byte[] graph)
    {
        var holes = new List<(int Start, int End, TensorProto Tensor)>();
        Walk(graph, 0, graph.Length, Message.Graph, nested: false, holes);
        if (holes.Count == 0)
        {
            return (graph, []);
        }
        using var skeleton = new MemoryStream(graph.Length);
        var tensors = new List<(long, TensorProto)>(holes.Count);
        var position = 0;
        foreach (var (start, end, tensor) in holes)
        {
            skeleton.Write(graph, position, start - position);
            tensors.Add((skeleton.Length, tensor));
            position = end;
        }
        skeleton.Write(graph, position, graph.Length - position);
        return (skeleton.ToArray(), tensors);
    }

    private enum Message
    {
        Graph,
        Node,
        Attribute,
    }

    private static void Walk(byte[] data, int start, int end, Message message, bool nested, List<(int, int, TensorProto)> holes)
    {
        var position = start;
        while (position < end)
        {
            var fieldStart = position;
            var tag = ReadVarint(data, ref position);
            var (field, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            if (wireType != LengthDelimited)
            {
                Skip(data, ref position, wireType);
                continue;
            }
            var length = (int)ReadVarint(data, ref position);
            var contentStart = position;
            position += length;
            switch (message, field)
            {
                case (Message.Graph, GraphNode):
                    Walk(data, contentStart, position, Message.Node, nested, holes);
                    break;
                case (Message.Node, NodeAttribute):
                    Walk(data, contentStart, position, Message.Attribute, nested, holes);
                    break;
                case (Message.Attribute, AttributeGraph or AttributeGraphs):
                    Walk(data, contentStart, position, Message.Graph, nested: true, holes);
                    break;
                case (Message.Graph, GraphInitializer) when nested:
                    var tensor = TensorProto.Parser.ParseFrom(data, contentStart, length);
                    if (TensorPacker.CanPack(tensor))
                    {
                        holes.Add((fieldStart, position, tensor));
                    }
                    break;
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    private static void Skip(byte[] data, ref int position, int wireType)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint(data, ref position);
                break;
            case 1:
                position += 8;
                break;
            case 5:
                position += 4;
                break;
            default:
                throw new InvalidOperationException($"unexpected protobuf wire type {wireType} in a serialized graph");
        }
    }
}
