using System.Text.Json;
using Orleans.Storage;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>Plain System.Text.Json serializer, so storage unit tests need no Orleans serializer setup.</summary>
internal sealed class JsonStorageSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(input));

    public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>()!;
}
