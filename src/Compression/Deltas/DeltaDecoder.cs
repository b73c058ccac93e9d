using System.Security.Cryptography;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Applies a delta to a base artifact, writing the target artifact as it goes. The base is read by seeking
/// to one tensor at a time and the delta front to back, so memory holds the two tables and skeletons plus
/// one tensor, never whole artifacts. The target's SHA-256 is checked at the end.
/// </summary>
public static class DeltaDecoder
{
    public static DeltaApplyInfo Apply(Stream baseArtifact, Stream delta, Stream targetOutput)
    {
        if (!baseArtifact.CanSeek)
        {
            throw new ArgumentException("the base artifact stream must be seekable (a file)", nameof(baseArtifact));
        }
        try
        {
            return ApplyChecked(baseArtifact, delta, targetOutput);
        }
        catch (ArtifactException ex)
        {
            throw new DeltaException($"delta cannot be applied: {ex.Message}", ex);
        }
    }

    private static DeltaApplyInfo ApplyChecked(Stream baseArtifact, Stream delta, Stream targetOutput)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var limits = ArtifactLimits.Default;
        var head = DeltaHead.Read(delta, limits);

        baseArtifact.Position = 0;
        if (!SHA256.HashData(baseArtifact).AsSpan().SequenceEqual(head.BaseSha256))
        {
            throw new DeltaException("this delta was made for a different base artifact (base SHA-256 does not match)");
        }
        baseArtifact.Position = 0;
        var source = ArtifactSource.Open(baseArtifact, limits);
        var baseOffsets = Offsets(source.Table, baseArtifact.Position);

        var tableBytes = ZstdFrames.Decompress(DeltaHead.ReadBytes(delta, head.TableFrameLength, "target table"), head.TargetTableLength,
            source.TableBytes, m => new DeltaException(m), "delta target table");
        var table = ArtifactTable.Parse(tableBytes, limits);
        var skeleton = ZstdFrames.Decompress(DeltaHead.ReadBytes(delta, head.SkeletonFrameLength, "target skeleton"), head.TargetSkeletonLength,
            source.Skeleton, m => new DeltaException(m), "delta target skeleton");
        if (skeleton.Length != table.ModelRestLength + table.GraphRestLength)
        {
            throw new DeltaException("delta target skeleton does not match its table");
        }

        using var output = new HashingStream(targetOutput);
        ArtifactWriter.WriteFront(output, tableBytes, skeleton, table.Version);

        using var workspace = new DecodeWorkspace();
        var ops = new OpReader(baseArtifact, source, baseOffsets, new ArtifactSource(table, tableBytes, skeleton), delta, workspace);
        var heldCount = DeltaHead.ReadVarint(delta, "held tensor count");
        if (heldCount > (ulong)table.Tensors.Count)
        {
            throw new DeltaException($"delta holds {heldCount} tensors but the target has {table.Tensors.Count}");
        }
        var previous = -1L;
        for (var h = 0UL; h < heldCount; h++)
        {
            var index = DeltaHead.ReadVarint(delta, "held tensor index");
            if (index >= (ulong)table.Tensors.Count || (long)index <= previous)
            {
                throw new DeltaException($"held tensor #{index} is out of order or does not exist");
            }
            previous = (long)index;
            ops.Hold((int)index);
        }
        for (var i = 0; i < table.Tensors.Count; i++)
        {
            ops.Write(i, output);
        }

        if (delta.ReadByte() >= 0)
        {
            throw new DeltaException("delta has bytes after its last operation");
        }
        var sha = output.Hash();
        if (output.Written != head.TargetLength || !sha.AsSpan().SequenceEqual(head.TargetSha256))
        {
            throw new DeltaException("patched artifact does not match the target SHA-256 in the delta");
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new DeltaApplyInfo(output.Written, Convert.ToHexStringLower(sha), ops.Copied, ops.Patched, ops.Whole, allocated + workspace.NativeBytes);
    }

    private static long[] Offsets(ArtifactTable table, long start)
    {
        var offsets = new long[table.Tensors.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = start;
            start += table.Tensors[i].PayloadLength;
        }
        return offsets;
    }
}
