using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// Weight-only integer quantization (<see cref="QuantizeStep"/>). 8-bit weights become INT8 (symmetric) or
/// UINT8 (asymmetric) initializers behind a DequantizeLinear. 4- and 2-bit weights of MatMul and plain Gemm
/// nodes run as <c>MatMulNBits</c>; every other 4/2-bit weight (Conv, transposed-A Gemm…) becomes INT4/UINT4
/// behind an opset-21 DequantizeLinear, 2-bit codes using the low levels of the 4-bit type.
/// </summary>
public sealed class IntegerQuantizeCoder(QuantizeStep step) : IWeightCoder
{
    public void Encode(CompressionContext context, IReadOnlyList<WeightRef> weights)
    {
        var plans = weights.Select(w => (Weight: w, AsMatMulNBits: step.Bits < 8 && MatMulNBitsEmitter.CanReplace(w))).ToList();
        var dequantized = plans.Where(p => !p.AsMatMulNBits).ToList();
        if (dequantized.Count > 0 && !RuntimeOpset.TryRequire(context, dequantized.Select(p => p.Weight), step.Id, RequiredOpset(), int4: step.Bits < 8))
        {
            plans = plans.Where(p => p.AsMatMulNBits).ToList();
            dequantized.Clear();
        }
        if (dequantized.Count == 0)
        {
            // MatMulNBits needs no opset, but its new initializers need IR 4 (not listed as graph inputs).
            RuntimeOpset.Require(context.Model, context.Model.DefaultOpset() ?? RuntimeOpset.PerTensorDequantize, int4: false);
        }

        var names = new ModelNames(context.Model);
        foreach (var (weight, asMatMulNBits) in plans)
        {
            var matrix = ChannelMatrix.From(weight);
            var q = Quantize(weight, matrix);
            if (asMatMulNBits)
            {
                var block = MatMulNBitsEmitter.LayoutBlock(step.Granularity, step.BlockSize, matrix.RowLength);
                MatMulNBitsEmitter.Emit(context, names, weight, q, step.Bits, block, step.Symmetric);
                context.Note(weight.Name, TensorAction.Compressed, $"{step.Id}: {Granularity()} MatMulNBits bits={step.Bits} block_size={block}");
            }
            else
            {
                var spec = DequantizeSpecFor(weight, matrix, q);
                DequantizeEmitter.Wire(context, weight, DequantizeEmitter.Emit(context, names, weight, spec));
                context.Note(weight.Name, TensorAction.Compressed, $"{step.Id}: {Granularity()} {spec.CodeType} DequantizeLinear{DequantizeSpec.OperandSuffix(weight)}");
            }
        }
    }

    private long RequiredOpset() => (step.Bits, step.Granularity) switch
    {
        (8, QuantGranularity.PerTensor) => RuntimeOpset.PerTensorDequantize,
        (8, QuantGranularity.PerChannel) => RuntimeOpset.PerAxisDequantize,
        _ => RuntimeOpset.BlockedOrInt4Dequantize,
    };

    private string Granularity() => step.Granularity switch
    {
        QuantGranularity.PerTensor => "per-tensor",
        QuantGranularity.PerChannel => "per-channel",
        _ => $"block {step.BlockSize}",
    } + (step.Symmetric ? " symmetric" : " asymmetric");

    private GroupQuantization Quantize(WeightRef weight, ChannelMatrix matrix)
    {
        try
        {
            return GroupQuantization.Run(matrix, step.Granularity, step.BlockSize, step.Bits, step.Symmetric);
        }
        catch (ArgumentException ex)
        {
            throw new OnnxModelException($"weight '{weight.Name}' cannot be quantized: {ex.Message}", ex);
        }
    }

    private DequantizeSpec DequantizeSpecFor(WeightRef weight, ChannelMatrix matrix, GroupQuantization q)
    {
        var runtimeBits = step.Bits == 8 ? 8 : 4;
        var type = step.Symmetric ? DequantizeSpec.SignedType(runtimeBits) : DequantizeSpec.UnsignedType(runtimeBits);
        var offset = step.Symmetric ? -(1 << (step.Bits - 1)) : 0;
        var dims = weight.Tensor.Dims.ToArray();
        int[]? zeroPoints = step.Symmetric ? null : q.ZeroPoints;
        var storageCodes = matrix.ToStorageOrder(q.Codes, matrix.RowLength);

        switch (step.Granularity)
        {
            case QuantGranularity.PerTensor:
                return new DequantizeSpec(type, step.Bits, offset, storageCodes, dims, q.Scales, [], zeroPoints, null, null);
            case QuantGranularity.PerChannel:
                var channelDims = weight.ChannelsSpanAxes ? [matrix.Channels, matrix.RowLength] : dims;
                return new DequantizeSpec(type, step.Bits, offset, storageCodes, channelDims, q.Scales, [matrix.Channels], zeroPoints, weight.OutputAxis, null);
        }

        // Blocks run along the reduction axis, which DequantizeLinear's block_size attribute names by axis.
        var blocks = q.GroupsPerKernelRow;
        if (matrix.Transposed)
        {
            // MatMul B [K, N]: blocks along axis 0, scales [blocks, N].
            return new DequantizeSpec(type, step.Bits, offset, storageCodes, dims,
                ChannelMatrix.Transpose(q.Scales, matrix.Channels, blocks), [blocks, matrix.Channels],
                zeroPoints is null ? null : ChannelMatrix.Transpose(zeroPoints, matrix.Channels, blocks), 0, step.BlockSize);
        }

        // Conv [M, C, k…] is blocked as [M, C·k·k] (reshaped back after dequantization); Gemm transB [N, K] as is.
        return new DequantizeSpec(type, step.Bits, offset, q.Codes, [matrix.Channels, matrix.RowLength],
            q.Scales, [matrix.Channels, blocks], zeroPoints, 1, step.BlockSize);
    }
}
