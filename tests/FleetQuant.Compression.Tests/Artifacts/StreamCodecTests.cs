using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Tests.Artifacts;

public sealed class StreamCodecTests
{
    public static TheoryData<int, int> Codecs()
    {
        var data = new TheoryData<int, int>();
        foreach (var codec in Enum.GetValues<StreamCodec>())
        {
            foreach (var bits in new[] { 1, 3, 4, 8 })
            {
                if (codec != StreamCodec.RansOrder1 || bits <= RansOrder1Coder.MaxBits)
                {
                    data.Add((int)codec, bits);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void DecodeAll_MatchesTheStreamingReaderAndTheInput(int codecValue, int bits)
    {
        var codec = (StreamCodec)codecValue;
        var random = new Random(bits);
        // Skewed symbols, like code differences: mostly small values.
        var symbols = Enumerable.Range(0, 5000).Select(_ => (byte)(Math.Min((1 << bits) - 1, (int)Math.Abs(random.NextDouble() * random.NextDouble() * 6)))).ToArray();
        var data = StreamCoder.Encode(symbols, bits, codec);
        using var workspace = new DecodeWorkspace();

        var (bulk, streamed) = DecodeBothWays(codec, data, symbols.Length, bits, workspace);

        Assert.Equal(symbols, bulk);
        Assert.Equal(symbols, streamed);
    }

    [Fact]
    public void Rans_TruncatedStream_IsRejectedWithArtifactException()
    {
        var symbols = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7 % 13)).ToArray();
        var data = StreamCoder.Encode(symbols, 4, StreamCodec.Rans);
        using var workspace = new DecodeWorkspace();

        Assert.Throws<ArtifactException>(() => StreamCoder.DecodeAll(StreamCodec.Rans, data[..^10], symbols.Length, 4, workspace));
    }

    [Fact]
    public void RansOrder1_TruncatedOrWiderThan4Bits_IsRejectedWithArtifactException()
    {
        var symbols = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7 % 13)).ToArray();
        var data = StreamCoder.Encode(symbols, 4, StreamCodec.RansOrder1);
        using var workspace = new DecodeWorkspace();

        Assert.Throws<ArtifactException>(() => StreamCoder.DecodeAll(StreamCodec.RansOrder1, data[..^10], symbols.Length, 4, workspace));
        Assert.Throws<ArtifactException>(() => StreamCoder.DecodeAll(StreamCodec.RansOrder1, data, symbols.Length, 8, workspace));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Decode_MutatedStreams_FailWithArtifactExceptionOrGiveTheDeclaredSymbols(int codecValue, int bits)
    {
        var codec = (StreamCodec)codecValue;
        var random = new Random(codecValue * 10 + bits);
        var symbols = Enumerable.Range(0, 3000).Select(i => (byte)((i / 100 % 3 == 0 ? random.Next(3) : random.Next(1 << bits)) & ((1 << bits) - 1))).ToArray();
        var data = StreamCoder.Encode(symbols, bits, codec);
        using var workspace = new DecodeWorkspace();
        var decoded = 0;

        for (var i = 0; i < 300; i++)
        {
            var mutated = data.ToArray();
            mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            var cut = random.Next(4) == 0 ? mutated[..random.Next(mutated.Length)] : mutated;
            try
            {
                var (bulk, streamed) = DecodeBothWays(codec, cut, symbols.Length, bits, workspace);
                Assert.Equal(bulk, streamed);
                Assert.All(bulk, s => Assert.True(s >> bits == 0));
                decoded++;
            }
            catch (ArtifactException)
            {
            }
            workspace.ReleaseAll();
        }

        Assert.True(decoded < 300, "no mutation was ever noticed");
    }

    [Fact]
    public void EncodeForArtifact_CoderSavesUnderThreePercent_KeepsTheStreamStored()
    {
        // Mostly uniform bytes with a slight lean to the low quarter, like a float scale's low byte plane.
        var random = new Random(7);
        var symbols = Enumerable.Range(0, 6400).Select(_ => (byte)(random.NextDouble() < 0.3 ? random.Next(64) : random.Next(256))).ToArray();
        var smallest = StreamCoder.EncodeSmallest(symbols, 8);
        Assert.NotEqual(StreamCodec.Stored, smallest.Codec);
        Assert.InRange(smallest.Data.Length, symbols.Length * 0.97, symbols.Length - 1);

        var (codec, data) = StreamCoder.EncodeForArtifact(symbols, 8);

        Assert.Equal(StreamCodec.Stored, codec);
        Assert.Equal(symbols, data);
    }

    [Fact]
    public void EncodeForArtifact_CoderSavesMoreThanThreePercent_UsesTheCoder()
    {
        var random = new Random(7);
        var symbols = Enumerable.Range(0, 6400).Select(_ => (byte)(random.NextDouble() < 0.6 ? random.Next(64) : random.Next(256))).ToArray();

        var (codec, data) = StreamCoder.EncodeForArtifact(symbols, 8);

        Assert.NotEqual(StreamCodec.Stored, codec);
        Assert.True(data.Length < symbols.Length * 0.97, $"{codec} coded {symbols.Length} bytes in {data.Length}");
    }

    /// <summary>The stream decoded whole, then one symbol at a time through the streaming reader, in one workspace.</summary>
    private static (byte[] Bulk, byte[] Streamed) DecodeBothWays(StreamCodec codec, byte[] data, int count, int bits, DecodeWorkspace workspace)
    {
        var bulk = StreamCoder.DecodeAll(codec, data, count, bits, workspace);
        workspace.ReleaseAll();
        var reader = StreamCoder.OpenReader(codec, data, count, bits, workspace);
        var streamed = new byte[count];
        for (var i = 0; i < count; i++)
        {
            streamed[i] = (byte)reader.Next();
        }
        reader.Finish();
        return (bulk, streamed);
    }
}
