using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.Protocol.Tests;

public sealed class TransferTests
{
    [Fact]
    public void ChunkTable_VerifiesEachChunk_AndRejectsCorruptOnes()
    {
        var content = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        var table = ChunkTable.Describe(content, 256);

        Assert.Equal(4, ChunkTable.ChunkCount(table.Size, table.ChunkSize));
        Assert.True(ChunkTable.Verify(table, 3, content.AsSpan(768)));
        var corrupt = content[256..512];
        corrupt[10] ^= 1;
        Assert.False(ChunkTable.Verify(table, 1, corrupt));
        Assert.False(ChunkTable.Verify(table, 4, content.AsSpan(0, 1)));
        Assert.False(ChunkTable.Verify(table, 0, content.AsSpan(0, 255)));
    }

    [Fact]
    public void ChunkFrame_RoundTrips()
    {
        var hash = new string('a', 64);
        var frame = new ChunkFrame(7, 65536, hash, new byte[] { 1, 2, 3 });

        var parsed = ChunkFrame.Parse(frame.ToBytes());

        Assert.Equal(7, parsed.RequestId);
        Assert.Equal(65536, parsed.Offset);
        Assert.Equal(hash, parsed.ObjectSha256);
        Assert.Equal(new byte[] { 1, 2, 3 }, parsed.Data.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(79)]
    public void ChunkFrame_RejectsShortOrForeignPayloads(int length)
    {
        Assert.Throws<ProtocolException>(() => ChunkFrame.Parse(new byte[length]));
    }

    [Theory]
    [InlineData("fq/dev-1/up/telemetry", "dev-1", "telemetry")]
    [InlineData("fq/a.b_c/up/hello", "a.b_c", "hello")]
    public void TryParseUplink_AcceptsDeviceTopics(string topic, string device, string kind)
    {
        Assert.True(DeviceTopics.TryParseUplink(topic, out var d, out var k));
        Assert.Equal(device, d);
        Assert.Equal(kind, k);
    }

    [Theory]
    [InlineData("fq/dev-1/down/desired")]
    [InlineData("fq/+/up/hello")]
    [InlineData("fq/dev 1/up/hello")]
    [InlineData("fq/dev-1/up/a/b")]
    [InlineData("other/dev-1/up/hello")]
    public void TryParseUplink_RejectsEverythingElse(string topic)
    {
        Assert.False(DeviceTopics.TryParseUplink(topic, out _, out _));
    }

    [Fact]
    public void Deserialize_OversizedOrMalformedMessage_GivesProtocolException()
    {
        Assert.Throws<ProtocolException>(() => ProtocolJson.Deserialize<TelemetryMessage>(new byte[ProtocolJson.MaxMessageBytes + 1]));
        Assert.Throws<ProtocolException>(() => ProtocolJson.Deserialize<TelemetryMessage>("{\"at\":"u8));
        Assert.Throws<ProtocolException>(() => ProtocolJson.Deserialize<ChunkRequest>("{}"u8));
    }
}
