using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Pruning;

/// <summary>Cuts a tensor down to the kept channels along one axis, in place.</summary>
internal static class ChannelSlicer
{
    /// <param name="kept">Kept channel indices, ascending.</param>
    public static void Apply(ChannelSlice slice, IReadOnlyList<int> kept)
    {
        var tensor = slice.Tensor;
        var dims = tensor.Dims.ToArray();
        var values = TensorData.ReadFloats(tensor);
        var span = AxisSpan.Of(dims, slice.Axis);
        var keptLength = (long)kept.Count * slice.Block;
        var result = new float[span.Outer * keptLength * span.Inner];
        var run = (int)(slice.Block * span.Inner);
        var target = 0;
        for (long o = 0; o < span.Outer; o++)
        {
            var rowStart = o * span.Length * span.Inner;
            foreach (var channel in kept)
            {
                var source = rowStart + (long)channel * run;
                values.AsSpan((int)source, run).CopyTo(result.AsSpan(target, run));
                target += run;
            }
        }

        dims[slice.Axis] = keptLength;
        tensor.Dims.Clear();
        tensor.Dims.AddRange(dims);
        TensorData.WriteFloats(tensor, result);
    }
}
