using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Tests.Artifacts;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Deltas;

/// <summary>The delta encoder's fast paths: concurrent work, the difference coder's shortcuts, branch-free residuals.</summary>
public sealed class DeltaEncoderSpeedTests
{
    [Theory]
    [InlineData("q8cs", "v1", "q8cs", "v2")]
    [InlineData("q4b32a", "v1", "q8cs", "v2")]
    public async Task Create_ManyTimesAtOnce_GivesByteIdenticalDeltas(string fromRecipe, string fromVersion, string toRecipe, string toVersion)
    {
        var a = ArtifactTestModels.PackMlp(fromRecipe, fromVersion);
        var b = ArtifactTestModels.PackMlp(toRecipe, toVersion);
        var first = DeltaEncoder.Create(a, b);

        // Concurrent calls compete for the same two cores, so each call's pieces finish in a different order.
        var deltas = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => DeltaEncoder.Create(a, b))));

        Assert.All(deltas, d => Assert.Equal(first, d));
        Assert.Equal(b, DeltaRoundTripTests.Apply(a, first).Target);
    }

    public static TheoryData<string, int> Streams() => new()
    {
        { "small-differences", 8 },
        { "small-differences", 4 },
        { "small-differences", 2 },
        { "short-differences", 8 },
        { "random", 8 },
        { "random", 4 },
        { "mask", 1 },
        { "runs", 8 },
        { "empty", 8 },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void DifferenceCoder_SkipsOnlyCodersThatCouldNotWin_AndRoundTrips(string kind, int bits)
    {
        var symbols = Make(kind, bits, new Random(kind.Length * 31 + bits));

        var (codec, data) = DifferenceCoder.Encode(symbols, bits);
        // Every coder the delta encoder may use, each run for real: on difference-like streams the estimates skip
        // only coders that lose (or win by less than 2 %).
        var tried = new[] { StreamCodec.Stored, StreamCodec.RangeOrder0, StreamCodec.RangeOrder1, StreamCodec.Rans, StreamCodec.RangeSigned, StreamCodec.RansOrder1 }
            .Where(c => c != StreamCodec.RansOrder1 || bits <= RansOrder1Coder.MaxBits)
            .Min(c => StreamCoder.Encode(symbols, bits, c).Length);
        using var workspace = new DecodeWorkspace();

        Assert.InRange(data.Length, 0, (int)(tried * 1.02) + 8);
        Assert.Equal(symbols, StreamCoder.DecodeAll(codec, data, symbols.Length, bits, workspace));
    }

    [Fact]
    public void DifferenceCoder_DriftingSmallDifferences_PicksTheSignedCoderAndBeatsOrder1()
    {
        // Code differences after fine-tuning: mostly 0 and ±1, with rows that moved more than others.
        var random = new Random(7);
        var symbols = new byte[60000];
        for (var i = 0; i < symbols.Length; i++)
        {
            var spread = (i / 1000) % 3 == 0 ? 0.9 : 0.2;
            var value = random.NextDouble() < spread ? (random.Next(2) == 0 ? -1 : 1) * (1 + (random.NextDouble() < 0.2 ? 1 : 0)) : 0;
            symbols[i] = (byte)(value & 0xFF);
        }

        var (codec, data) = DifferenceCoder.Encode(symbols, 8);
        using var workspace = new DecodeWorkspace();

        Assert.Equal(StreamCodec.RangeSigned, codec);
        Assert.True(data.Length < StreamCoder.Encode(symbols, 8, StreamCodec.RangeOrder1).Length);
        Assert.Equal(symbols, StreamCoder.DecodeAll(codec, data, symbols.Length, 8, workspace));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void ToResidual_GivesResidualsModuloAndTheirTotalDistanceFromZero(int bits)
    {
        var random = new Random(bits);
        var mask = (1 << bits) - 1;
        var actual = Enumerable.Range(0, 5000).Select(_ => (byte)random.Next(mask + 1)).ToArray();
        var predicted = Enumerable.Range(0, 5000).Select(_ => (byte)random.Next(mask + 1)).ToArray();
        var expected = actual.Select((x, i) => (byte)((x - predicted[i]) & mask)).ToArray();
        var expectedCost = expected.Sum(r => (long)Math.Min(r, mask + 1 - r));

        var cost = ValuePredictor.ToResidual(actual, predicted, bits);

        Assert.Equal(expected, predicted);
        Assert.Equal(expectedCost, cost);
    }

    [Fact]
    public void Create_CorruptTensorInTheBase_ThrowsTheTypedErrorNotAnAggregate()
    {
        var a = ArtifactTestModels.PackMlp("q4b32a", "v1");
        var b = ArtifactTestModels.PackMlp("q4b32a", "v2");
        var random = new Random(3);
        var rejected = 0;

        for (var i = 0; i < 60; i++)
        {
            var corrupt = (byte[])a.Clone();
            // Tensor payloads fill the back of the artifact; the largest (fc1 codes) sits there.
            corrupt[random.Next(a.Length / 2, a.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                DeltaEncoder.Create(corrupt, b);
            }
            catch (Exception ex) when (ex is ArtifactException or DeltaException)
            {
                rejected++;
            }
        }

        Assert.True(rejected > 0, "no corruption of the base's tensors was noticed");
    }

    private static byte[] Make(string kind, int bits, Random random)
    {
        var mask = (1 << bits) - 1;
        return kind switch
        {
            "small-differences" or "short-differences" => Enumerable.Range(0, kind == "short-differences" ? 3000 : 40000)
                .Select(i => (byte)((random.NextDouble() < ((i / 500) % 3 == 0 ? 0.8 : 0.2) ? (random.Next(2) == 0 ? -1 : 1) : 0) & mask)).ToArray(),
            "random" => Enumerable.Range(0, 20000).Select(_ => (byte)random.Next(mask + 1)).ToArray(),
            "mask" => Enumerable.Range(0, 30000).Select(i => (byte)((i / 7) % 5 == 0 || random.Next(50) == 0 ? 1 : 0)).ToArray(),
            // Rows a fine-tune left alone (zeros) between rows it moved by a code or two.
            "runs" => Enumerable.Range(0, 20000).Select(i => (byte)((i / 100) % 4 == 0 ? random.Next(-2, 3) & mask : 0)).ToArray(),
            _ => [],
        };
    }

}
