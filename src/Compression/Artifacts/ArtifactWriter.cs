using System.Security.Cryptography;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using Google.Protobuf;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Writes a compressed model as a FleetQuant artifact (docs/ARTIFACT_FORMAT.md): fixed header, zstd tensor
/// table, zstd graph skeleton, then the coded streams of each subgraph initializer (in skeleton order) and each
/// main-graph initializer. The same model and recipe always give the same bytes, so artifacts are addressed by their
/// SHA-256. A model with no subgraph initializer to table gets a version 2 artifact, byte for byte as before.
/// </summary>
public static class ArtifactWriter
{
    public static byte[] Pack(CompressedModel model)
    {
        using var output = new MemoryStream();
        Write(model, output);
        return output.ToArray();
    }

    public static void Write(CompressedModel model, Stream output) => Write(model, output, StreamCoder.ZstdLevel, estimate: false);

    /// <summary>
    /// The length <see cref="Pack"/> would give, estimated at a fraction of its cost (what ladders measure many recipes
    /// with): the codec trials try zstd at <see cref="EstimateZstdLevel"/> rather than 19, and the decoded model's digest,
    /// which only checks the bytes, is not computed. Within 1 % of the real length (pinned by tests); never shipped.
    /// </summary>
    public static long EstimateLength(CompressedModel model)
    {
        using var output = new MemoryStream();
        Write(model, output, EstimateZstdLevel, estimate: true);
        return output.Length;
    }

    /// <summary>
    /// zstd level of <see cref="EstimateLength"/>'s codec trials. zstd 19 was two thirds of a ResNet18 ladder's pack time;
    /// level 3 moved every rung's size by under 0.1 % (docs/BENCHMARKS.md, "Ladder wall time on ResNet18").
    /// </summary>
    internal const int EstimateZstdLevel = 3;

    private static void Write(CompressedModel model, Stream output, int zstdLevel, bool estimate)
    {
        if (model.Model.Graph is null)
        {
            throw new ArtifactException("the compressed model has no graph to pack");
        }
        using var mainOnly = new MemoryStream();
        if (!WriteLayout(model, mainOnly, tableSubgraphs: false, zstdLevel, estimate))
        {
            mainOnly.WriteTo(output);
            return;
        }
        // Branches often repeat the same tensors, which one zstd frame stores once and the table would code twice:
        // keep whichever layout is smaller.
        using var withSubgraphs = new MemoryStream();
        WriteLayout(model, withSubgraphs, tableSubgraphs: true, zstdLevel, estimate);
        (withSubgraphs.Length < mainOnly.Length ? withSubgraphs : mainOnly).WriteTo(output);
    }

    /// <summary>Writes one layout; returns whether the model has subgraph initializers the table could hold.</summary>
    private static bool WriteLayout(CompressedModel model, Stream output, bool tableSubgraphs, int zstdLevel, bool estimate)
    {
        var source = model.Model;

        var packed = new List<PackedTensor>();
        var tabled = new HashSet<string>(StringComparer.Ordinal);
        var skeletonGraph = source.Graph.Clone();
        skeletonGraph.Initializer.Clear();
        foreach (var tensor in source.Graph.Initializer)
        {
            if (TensorPacker.CanPack(tensor) && tabled.Add(tensor.Name))
            {
                model.Encodings.TryGetValue(tensor.Name, out var encoding);
                packed.Add(TensorPacker.Pack(tensor, encoding, zstdLevel));
            }
            else
            {
                skeletonGraph.Initializer.Add(tensor.Clone());
            }
        }

        var skeletonModel = source.Clone();
        skeletonModel.Graph = null;
        var modelRest = skeletonModel.ToByteArray();
        var (graphRest, nested) = SubgraphInitializers.Cut(skeletonGraph.ToByteArray());
        var hasSubgraphTensors = nested.Count > 0;
        if (!tableSubgraphs)
        {
            (graphRest, nested) = (skeletonGraph.ToByteArray(), []);
        }
        byte[] skeleton = [.. modelRest, .. graphRest];
        // Subgraph names can repeat across branches; the packer keeps an encoding only if it rebuilds this very tensor.
        packed.InsertRange(0, nested.Select(n => TensorPacker.Pack(n.Tensor, SubgraphEncoding(model, n.Tensor), zstdLevel)));

        var draft = new ArtifactTable(
            model.Recipe.Id,
            new ArtifactMetadata(source.ProducerName, source.ProducerVersion, source.Graph.Name, source.IrVersion,
                source.OpsetImport.Select(o => (o.Domain, o.Version)).ToList()),
            DecodedLength: 0,
            DecodedSha256: new byte[32],
            modelRest.Length,
            graphRest.Length,
            packed.Select(p => p.Entry).ToList())
        {
            NestedOffsets = nested.Select(n => n.Offset).ToList(),
        };
        // The estimate stands in an incompressible 32 bytes for the digest, as a real SHA-256 is.
        var (length, sha) = estimate ? (draft.ComputeDecodedLength(), SHA256.HashData(skeleton)) : DecodedDigest(draft, skeleton, packed);
        var table = draft with { DecodedLength = length, DecodedSha256 = sha };

        var tableBytes = table.Write();
        WriteFront(output, tableBytes, skeleton, table.Version);
        foreach (var stream in packed.SelectMany(p => p.StreamData))
        {
            output.Write(stream);
        }
        return hasSubgraphTensors;
    }

    /// <summary>The published encoding that materializes exactly this subgraph tensor (its name may repeat in other branches).</summary>
    private static TensorCoding.EncodedTensor? SubgraphEncoding(CompressedModel model, TensorProto tensor) =>
        model.Published.Where(e => e.Name == tensor.Name).LastOrDefault(e => e.Materialize().RawData.Equals(tensor.RawData));

    /// <summary>
    /// Fixed header, then table and skeleton in one zstd frame: they share tensor and node names, which one
    /// frame stores once.
    /// </summary>
    internal static void WriteFront(Stream output, byte[] tableBytes, byte[] skeleton, ushort version)
    {
        var front = ZstdFrames.Compress([.. tableBytes, .. skeleton], dictionary: default);
        output.Write(ArtifactTable.FixedHeader(front.Length, tableBytes.Length, skeleton.Length, version));
        output.Write(front);
    }

    /// <summary>Length and SHA-256 of the ONNX model that decoding will produce, by running the decoder's writer.</summary>
    private static (long Length, byte[] Sha) DecodedDigest(ArtifactTable table, byte[] skeleton, List<PackedTensor> packed)
    {
        using var hashing = new HashingStream(Stream.Null);
        using var workspace = new DecodeWorkspace();
        var chunk = new byte[TensorStreams.ChunkBytes];
        table.WriteModelStart(hashing, skeleton);
        for (var t = 0; t < packed.Count; t++)
        {
            var p = packed[t];
            table.WriteTensorStart(hashing, p.Entry);
            var shapes = p.Entry.Shapes();
            var readers = p.StreamData.Select((data, i) => StreamCoder.OpenReader(p.Entry.Streams[i].Codec, data, shapes[i].Count, shapes[i].Bits, workspace)).ToArray();
            TensorStreams.Emit(p.Entry, readers, hashing, chunk);
            workspace.ReleaseAll();
            table.WriteAfterTensor(hashing, skeleton, t);
        }
        if (hashing.Written != table.ComputeDecodedLength())
        {
            throw new InvalidOperationException($"artifact layout error: wrote {hashing.Written} bytes, expected {table.ComputeDecodedLength()}");
        }
        return (hashing.Written, hashing.Hash());
    }
}
