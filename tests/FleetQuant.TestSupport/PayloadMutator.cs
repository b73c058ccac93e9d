using System.Text;
using System.Text.Json.Nodes;

namespace FleetQuant.TestSupport;

/// <summary>
/// A small seeded mutator for the fuzz tests: byte-level damage (bit flips, insert, delete, duplicate, overwrite,
/// truncation) and, for JSON, edits a hostile sender would make (huge/negative/non-finite numbers, wrong types, deep
/// nesting, long strings, unknown, missing and duplicate keys). The same seed gives the same cases, so a failure names
/// a reproducible case number.
/// </summary>
public sealed class PayloadMutator(int seed)
{
    private const string Placeholder = "\u0001fuzz-raw\u0001";

    private static readonly string[] RawNumbers =
    [
        "1e308", "-1e308", "1e400", "-1", "0", "-0", "2147483648", "-2147483649", "9223372036854775808",
        "-9223372036854775809", "4.9e-324", "1.5", "NaN", "Infinity", "-Infinity", "01", "1e", "-", "0x10",
    ];

    private static readonly string[] RawValues =
    [
        "null", "true", "false", "\"\"", "\"x\"", "[]", "{}", "[1,2,3]", "{\"a\":1}", "\"1e308\"", "\"NaN\"",
        "\"2026-13-45T99:99:99Z\"", "\"\\u0000\"", "\"\\ud800\"", "-1", "0", "1e308",
    ];

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)',', (byte)'\\'];

    public Random Random { get; } = new(seed);

    /// <summary>A JSON-aware edit half of the time (when the input parses as JSON), else a byte-level one.</summary>
    public (string Mutation, byte[] Bytes) MutateJson(byte[] original) =>
        Random.Next(2) == 0 ? MutateBytes(original) : MutateJsonTree(original) ?? MutateBytes(original);

    public (string Mutation, byte[] Bytes) MutateBytes(byte[] original)
    {
        if (original.Length == 0)
        {
            return ("insert", [(byte)Random.Next(256)]);
        }
        var bytes = (byte[])original.Clone();
        switch (Random.Next(7))
        {
            case 0:
                return ("truncate", bytes[..Random.Next(bytes.Length)]);
            case 1:
                var flips = 1 + Random.Next(4);
                for (var f = 0; f < flips; f++)
                {
                    bytes[Random.Next(bytes.Length)] ^= (byte)(1 << Random.Next(8));
                }
                return ("flip bits", bytes);
            case 2:
                var at = Random.Next(bytes.Length + 1);
                var inserted = new byte[1 + Random.Next(8)];
                for (var i = 0; i < inserted.Length; i++)
                {
                    inserted[i] = Random.Next(2) == 0 ? InterestingBytes[Random.Next(InterestingBytes.Length)] : (byte)Random.Next(256);
                }
                return ("insert bytes", [.. bytes[..at], .. inserted, .. bytes[at..]]);
            case 3:
                var start = Random.Next(bytes.Length);
                var end = Math.Min(bytes.Length, start + 1 + Random.Next(16));
                return ("delete bytes", [.. bytes[..start], .. bytes[end..]]);
            case 4:
                var from = Random.Next(bytes.Length);
                var to = Math.Min(bytes.Length, from + 1 + Random.Next(64));
                var copies = 1 + Random.Next(Random.Next(4) == 0 ? 64 : 3);
                var run = Enumerable.Repeat(bytes[from..to], copies).SelectMany(b => b).ToArray();
                return ("duplicate bytes", [.. bytes[..to], .. run, .. bytes[to..]]);
            case 5:
                var width = Math.Min(bytes.Length, 1 + Random.Next(8));
                var position = Random.Next(bytes.Length - width + 1);
                var fill = Random.Next(2) == 0 ? (byte)0xFF : InterestingBytes[Random.Next(InterestingBytes.Length)];
                bytes.AsSpan(position, width).Fill(fill);
                return ("overwrite bytes", bytes);
            default:
                bytes[Random.Next(bytes.Length)] = (byte)Random.Next(256);
                return ("random byte", bytes);
        }
    }

    /// <summary>One edit of a parsed JSON document, or null when the input is not a JSON object or array.</summary>
    private (string Mutation, byte[] Bytes)? MutateJsonTree(byte[] original)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(original);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
        if (root is not (JsonObject or JsonArray))
        {
            return null;
        }
        var slots = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(root, slots);
        var objects = Descendants(root).OfType<JsonObject>().ToList();
        if (objects.Count == 0)
        {
            return null;
        }
        string? raw = null;
        string mutation;

        switch (Random.Next(slots.Count == 0 ? 2 : 9))
        {
            case 0:
                var target = objects[Random.Next(objects.Count)];
                target["fuzz" + Random.Next(1000)] = RandomValue(out raw);
                mutation = "unknown field";
                break;
            case 1:
                // Duplicate keys cannot exist in a JsonNode, so the duplicate is written into the text.
                var text = root.ToJsonString();
                var keys = objects.SelectMany(o => o.Select(p => p.Key)).ToList();
                var key = keys.Count > 0 ? keys[Random.Next(keys.Count)] : "fuzz";
                var close = text.LastIndexOf('}');
                if (close < 0)
                {
                    return null;
                }
                var value = RawValues[Random.Next(RawValues.Length)];
                var separator = text[..close].TrimEnd().EndsWith('{') ? "" : ",";
                return ("duplicate key", Encoding.UTF8.GetBytes($"{text[..close]}{separator}\"{key}\":{value}{text[close..]}"));
            default:
                var (parent, slotKey, index) = slots[Random.Next(slots.Count)];
                var current = slotKey is not null ? parent[slotKey] : parent[index];
                (mutation, var replacement) = Random.Next(7) switch
                {
                    0 when current is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number => ("odd number", Raw(RawNumbers[Random.Next(RawNumbers.Length)], out raw)),
                    0 or 1 => ("odd number", Raw(RawNumbers[Random.Next(RawNumbers.Length)], out raw)),
                    2 => ("wrong type", RandomValue(out raw)),
                    3 => ("deep nesting", Raw(Nested(Random.Next(2) == 0 ? 17 + Random.Next(8) : 1 + Random.Next(2000)), out raw)),
                    4 => ("long string", (JsonNode?)JsonValue.Create(new string((char)('a' + Random.Next(26)), Random.Next(4) == 0 ? 300_000 : 1 + Random.Next(10_000)))),
                    5 when slotKey is not null => ("missing field", null),
                    _ => ("null", (JsonNode?)null),
                };
                if (mutation == "missing field")
                {
                    ((JsonObject)parent).Remove(slotKey!);
                }
                else if (slotKey is not null)
                {
                    parent[slotKey] = replacement;
                }
                else
                {
                    parent[index] = replacement;
                }
                break;
        }

        var json = root.ToJsonString();
        if (raw is not null)
        {
            json = json.Replace(System.Text.Json.JsonSerializer.Serialize(Placeholder), raw, StringComparison.Ordinal);
        }
        return (mutation, Encoding.UTF8.GetBytes(json));
    }

    private JsonNode? RandomValue(out string? raw) => Raw(RawValues[Random.Next(RawValues.Length)], out raw);

    /// <summary>A placeholder string swapped for <paramref name="text"/> after serialising, so invalid JSON can be planted.</summary>
    private static JsonNode Raw(string text, out string? raw)
    {
        raw = text;
        return JsonValue.Create(Placeholder);
    }

    private string Nested(int depth)
    {
        var open = Random.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
        return string.Concat(Enumerable.Repeat(open.Item1, depth)) + "1" + string.Concat(Enumerable.Repeat(open.Item2, depth));
    }

    private static void Collect(JsonNode node, List<(JsonNode Parent, string? Key, int Index)> slots)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    slots.Add((obj, key, -1));
                    if (child is not null)
                    {
                        Collect(child, slots);
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    slots.Add((array, null, i));
                    if (array[i] is { } child)
                    {
                        Collect(child, slots);
                    }
                }
                break;
        }
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
        {
            foreach (var descendant in Descendants(child))
            {
                yield return descendant;
            }
        }
    }
}
