using BenchmarkDotNet.Attributes;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Quantization;
using FleetQuant.Compression.WeightSharing;

namespace FleetQuant.Benchmarks;

/// <summary>
/// Weight-coding kernels on ResNet18's conv weights (11.2 M floats, 44.7 MB), one core. Throughput in MB/s of FP32
/// input = <see cref="Fp32Bytes"/> / mean time; the setup prints the byte count.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class QuantizationBenchmarks
{
    private IReadOnlyList<(float[] Values, int RowLength)> _weights = [];
    private int[][] _codes = [];

    public long Fp32Bytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _weights = BenchModels.Weights(OnnxModelFile.Load(BenchModels.ResNet18Path));
        _codes = _weights.Select(w => new int[w.Values.Length]).ToArray();
        Fp32Bytes = _weights.Sum(w => (long)w.Values.Length * sizeof(float));
        Console.WriteLine($"// ResNet18 compressible weights: {_weights.Count} tensors, {Fp32Bytes} FP32 bytes");
    }

    /// <summary>8-bit symmetric per-channel (q8cs): one scale per output channel.</summary>
    [Benchmark]
    public int Quantize8BitPerChannel()
    {
        var checksum = 0;
        for (var i = 0; i < _weights.Count; i++)
        {
            var (values, rowLength) = _weights[i];
            var channels = values.Length / rowLength;
            var scales = new float[channels];
            var zeroPoints = new int[channels];
            WeightQuantizer.Quantize(values, rowLength, rowLength, 8, symmetric: true, _codes[i], scales, zeroPoints);
            checksum += _codes[i][0];
        }
        return checksum;
    }

    /// <summary>k-means weight sharing with 16 centroids per tensor (km4).</summary>
    [Benchmark]
    public int KMeans4Bit()
    {
        var checksum = 0;
        foreach (var (values, _) in _weights)
        {
            checksum += KMeansCodebook.Cluster(values, 4).Iterations;
        }
        return checksum;
    }
}
