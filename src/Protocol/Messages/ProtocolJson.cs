using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetQuant.Protocol.Messages;

/// <summary>A payload that is not a valid message of the expected kind; counted and logged, never fatal.</summary>
public sealed class ProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The one JSON form of every control message: camelCase, enums as strings, bounded size and depth.</summary>
public static class ProtocolJson
{
    /// <summary>Control messages are small; anything bigger is refused before parsing.</summary>
    public const int MaxMessageBytes = 256 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = 16,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static byte[] Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxMessageBytes)
        {
            throw new ProtocolException($"{typeof(T).Name}: {payload.Length} bytes is over the {MaxMessageBytes}-byte limit");
        }
        try
        {
            return JsonSerializer.Deserialize<T>(payload, Options)
                ?? throw new ProtocolException($"{typeof(T).Name}: empty message");
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"{typeof(T).Name}: malformed JSON ({ex.Message})", ex);
        }
    }

    public static string SerializeToString<T>(T message) => Encoding.UTF8.GetString(Serialize(message));
}
