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
                data.Add((int)codec, bits);
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

        var bulk = StreamCoder.DecodeAll(codec, data, symbols.Length, bits, workspace);
        workspace.ReleaseAll();
        var reader = StreamCoder.OpenReader(codec, data, symbols.Length, bits, workspace);
        var streamed = symbols.Select(_ => (byte)reader.Next()).ToArray();
        reader.Finish();

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
}
