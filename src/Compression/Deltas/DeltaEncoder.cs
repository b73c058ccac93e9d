using System.Security.Cryptography;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Makes the bytes that turn artifact A into artifact B (docs/ARTIFACT_FORMAT.md, "Deltas"). Tensors are
/// matched by name, then by type and size; each target tensor travels as a copy, a coded-domain
/// difference, or whole, whichever is smallest. Table and skeleton changes are zstd coded against the base's.
/// </summary>
public static class DeltaEncoder
{
    public static byte[] Create(ReadOnlySpan<byte> baseArtifact, ReadOnlySpan<byte> targetArtifact)
    {
        var source = LoadedArtifact.Load(baseArtifact.ToArray(), "base");
        var target = LoadedArtifact.Load(targetArtifact.ToArray(), "target");

        var output = new WireWriter();
        var tableFrame = ZstdFrames.Compress(target.Source.TableBytes, source.Source.TableBytes);
        var skeletonFrame = ZstdFrames.Compress(target.Source.Skeleton, source.Source.Skeleton);
        output.Bytes(new DeltaHead(
            SHA256.HashData(baseArtifact),
            SHA256.HashData(targetArtifact),
            targetArtifact.Length,
            target.Source.TableBytes.Length,
            tableFrame.Length,
            target.Source.Skeleton.Length,
            skeletonFrame.Length).Write());
        output.Bytes(tableFrame);
        output.Bytes(skeletonFrame);

        var matches = Match(source.Table.Tensors, target.Table.Tensors);
        using var workspace = new DecodeWorkspace();
        for (var i = 0; i < target.Table.Tensors.Count; i++)
        {
            WriteOp(output, source, target, i, matches[i], workspace);
        }
        return output.ToArray();
    }

    private static void WriteOp(WireWriter output, LoadedArtifact source, LoadedArtifact target, int index, int match, DecodeWorkspace workspace)
    {
        var entry = target.Table.Tensors[index];
        var payload = target.Payload(index);
        if (match >= 0)
        {
            var baseEntry = source.Table.Tensors[match];
            var basePayload = source.Payload(match);
            if (basePayload.Span.SequenceEqual(payload.Span))
            {
                output.Byte((byte)DeltaOp.Copy);
                output.Varint((ulong)match);
                return;
            }
            if (SymbolDiff.Compatible(baseEntry, entry))
            {
                var diff = SymbolDiff.Compute(
                    baseEntry, ArtifactSource.DecodeSymbols(baseEntry, basePayload, workspace),
                    entry, ArtifactSource.DecodeSymbols(entry, payload, workspace));
                var shapes = SymbolDiff.Shapes(entry, diff.Length > 1 ? SymbolDiff.Changed(diff[0]) : 0);
                var coded = diff.Select((d, s) => StreamCoder.EncodeEstimated(d, shapes[s].Bits)).ToList();
                var size = coded.Sum(c => 1 + WireWriter.VarintSize((ulong)c.Data.Length) + c.Data.Length);
                if (size < payload.Length)
                {
                    output.Byte((byte)DeltaOp.Diff);
                    output.Varint((ulong)match);
                    foreach (var (codec, data) in coded)
                    {
                        output.Byte((byte)codec);
                        output.LengthPrefixed(data);
                    }
                    return;
                }
            }
        }
        output.Byte((byte)DeltaOp.Whole);
        output.Bytes(payload.Span);
    }

    /// <summary>For each target tensor, the base tensor to start from (-1: none): same name, else same type and size.</summary>
    private static int[] Match(IReadOnlyList<TensorEntry> sources, IReadOnlyList<TensorEntry> targets)
    {
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < sources.Count; i++)
        {
            byName.TryAdd(sources[i].Name, i);
        }
        var used = new HashSet<int>();
        var matches = new int[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            matches[i] = byName.TryGetValue(targets[i].Name, out var s) ? s : -1;
            if (matches[i] >= 0)
            {
                used.Add(matches[i]);
            }
        }
        for (var i = 0; i < targets.Count; i++)
        {
            if (matches[i] >= 0)
            {
                continue;
            }
            var t = targets[i];
            var candidate = Enumerable.Range(0, sources.Count).FirstOrDefault(s => !used.Contains(s) && SymbolDiff.Compatible(sources[s], t), -1);
            matches[i] = candidate;
            if (candidate >= 0)
            {
                used.Add(candidate);
            }
        }
        return matches;
    }

    /// <summary>An artifact held in memory with the offset of each tensor's payload.</summary>
    private sealed record LoadedArtifact(ArtifactSource Source, byte[] Bytes, long[] Offsets)
    {
        public ArtifactTable Table => Source.Table;

        public static LoadedArtifact Load(byte[] bytes, string role)
        {
            using var stream = new MemoryStream(bytes, writable: false);
            ArtifactSource source;
            try
            {
                source = ArtifactSource.Open(stream, ArtifactLimits.Default);
            }
            catch (ArtifactException ex)
            {
                throw new DeltaException($"{role} artifact is not valid: {ex.Message}", ex);
            }
            var offsets = new long[source.Table.Tensors.Count];
            var position = stream.Position;
            for (var i = 0; i < offsets.Length; i++)
            {
                offsets[i] = position;
                position += source.Table.Tensors[i].PayloadLength;
            }
            if (position != bytes.Length)
            {
                throw new DeltaException($"{role} artifact has {bytes.Length - position} bytes after its last tensor");
            }
            return new LoadedArtifact(source, bytes, offsets);
        }

        public ReadOnlyMemory<byte> Payload(int index) => Bytes.AsMemory((int)Offsets[index], (int)Table.Tensors[index].PayloadLength);
    }
}
