using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetQuant.Api.Contracts;

/// <summary>
/// A model version in a JSON body: a positive integer sent as a number (<c>3</c>) or as a numeric string (<c>"3"</c>),
/// held as its canonical text ("3") because versions are keyed by text. Anything else is a 400 naming the rule.
/// </summary>
public sealed class PositiveIntegerTextConverter : JsonConverter<string>
{
    private const string Rule = "version must be a positive integer, as a number (3) or a numeric string (\"3\")";

    /// <summary>A null version is refused here too, with the same message, rather than passed on as a missing value.</summary>
    public override bool HandleNull => true;

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var number = reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetInt32(out var value) => value,
            JsonTokenType.String when int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) => value,
            _ => 0,
        };
        return number > 0 ? number.ToString(CultureInfo.InvariantCulture) : throw new JsonException(Rule);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
