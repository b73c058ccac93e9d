using System.Globalization;
using FleetQuant.Protocol.Manifests;

namespace FleetQuant.Compression.Evaluation;

/// <summary>An inclusive range generated values of one input are drawn from.</summary>
public sealed record ValueRange(double Low, double High);

/// <summary>
/// What a model's declared inputs do not say and data or generated inputs need: shapes for symbolic dimensions
/// (<c>--input-shape NAME=D1,D2,...</c>), constants for control inputs such as a sample rate (<c>--input-value NAME=V</c>)
/// and ranges for generated values (<c>--input-range NAME=LO,HI</c>). Recorded with a ladder and stored with a model
/// version, so the server and simulated devices build the same inputs.
/// </summary>
public sealed record InputHints
{
    public static readonly InputHints None = new();

    /// <summary>Most inputs a model may have hints for; a bound on what an upload can make the server store.</summary>
    public const int MaxHints = 64;

    public IReadOnlyDictionary<string, long[]> Shapes { get; init; } = new Dictionary<string, long[]>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, double> Values { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, ValueRange> Ranges { get; init; } = new Dictionary<string, ValueRange>(StringComparer.Ordinal);

    public bool IsEmpty => Shapes.Count == 0 && Values.Count == 0 && Ranges.Count == 0;

    /// <summary>The hints a manifest carries; null or empty gives <see cref="None"/>. Checked like any upload.</summary>
    public static InputHints FromMessage(ModelInputHints? message)
    {
        if (message is null)
        {
            return None;
        }
        var ranges = new Dictionary<string, ValueRange>(StringComparer.Ordinal);
        foreach (var (name, pair) in message.Ranges ?? new Dictionary<string, double[]>())
        {
            ranges[name] = pair is { Length: 2 } ? new ValueRange(pair[0], pair[1]) : throw new ArgumentException($"input range hint '{name}' needs [low, high]");
        }
        var hints = new InputHints
        {
            Shapes = new Dictionary<string, long[]>(message.Shapes ?? new Dictionary<string, long[]>(), StringComparer.Ordinal),
            Values = new Dictionary<string, double>(message.Values ?? new Dictionary<string, double>(), StringComparer.Ordinal),
            Ranges = ranges,
        };
        hints.Validate();
        return hints;
    }

    /// <summary>The form a manifest carries; null when there are no hints.</summary>
    public ModelInputHints? ToMessage() => IsEmpty
        ? null
        : new ModelInputHints
        {
            Shapes = Shapes.Count > 0 ? Shapes : null,
            Values = Values.Count > 0 ? Values : null,
            Ranges = Ranges.Count > 0 ? Ranges.ToDictionary(r => r.Key, r => new[] { r.Value.Low, r.Value.High }, StringComparer.Ordinal) : null,
        };

    /// <summary>Parses the CLI's repeatable <c>NAME=…</c> flags; a malformed one is an <see cref="ArgumentException"/> naming it.</summary>
    public static InputHints Parse(IEnumerable<string>? shapes, IEnumerable<string>? values, IEnumerable<string>? ranges)
    {
        var hints = new InputHints
        {
            Shapes = Collect(shapes, "--input-shape", "NAME=D1,D2,...", ParseShape),
            Values = Collect(values, "--input-value", "NAME=V", ParseNumber),
            Ranges = Collect(ranges, "--input-range", "NAME=LO,HI", ParseRange),
        };
        hints.Validate();
        return hints;
    }

    /// <summary>Checks bounds an uploaded hint set must keep: counts, positive dimensions, finite numbers, ordered ranges.</summary>
    public void Validate()
    {
        if (Shapes.Count + Values.Count + Ranges.Count > MaxHints)
        {
            throw new ArgumentException($"at most {MaxHints} input hints are accepted");
        }
        foreach (var (name, shape) in Shapes)
        {
            CheckName(name);
            if (shape.Length > 8 || shape.Any(d => d is <= 0 or > int.MaxValue))
            {
                throw new ArgumentException($"input shape hint '{name}' [{string.Join(",", shape)}] needs at most 8 positive dimensions");
            }
        }
        foreach (var (name, value) in Values)
        {
            CheckName(name);
            if (!double.IsFinite(value))
            {
                throw new ArgumentException($"input value hint '{name}' must be a finite number");
            }
        }
        foreach (var (name, range) in Ranges)
        {
            CheckName(name);
            if (!double.IsFinite(range.Low) || !double.IsFinite(range.High) || range.Low > range.High)
            {
                throw new ArgumentException($"input range hint '{name}' needs finite LO <= HI, got {range.Low},{range.High}");
            }
        }
    }

    /// <summary>One line for tables: <c>input=1,512 sr:=16000 x∈[0,1]</c>.</summary>
    public string Describe() => IsEmpty
        ? "none"
        : string.Join(" ", Shapes.Select(s => $"{s.Key}=[{string.Join(",", s.Value)}]")
            .Concat(Values.Select(v => $"{v.Key}:={Format(v.Value)}"))
            .Concat(Ranges.Select(r => $"{r.Key}∈[{Format(r.Value.Low)},{Format(r.Value.High)}]")));

    private static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    private static void CheckName(string name)
    {
        if (name.Length is 0 or > 256)
        {
            throw new ArgumentException("an input hint needs an input name of 1 to 256 characters");
        }
    }

    private static Dictionary<string, T> Collect<T>(IEnumerable<string>? flags, string flag, string form, Func<string, T> parse)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var text in flags ?? [])
        {
            var eq = text.LastIndexOf('=');
            if (eq <= 0 || eq == text.Length - 1)
            {
                throw new ArgumentException($"{flag} '{text}': expected {form}");
            }
            var name = text[..eq];
            try
            {
                if (!result.TryAdd(name, parse(text[(eq + 1)..])))
                {
                    throw new ArgumentException($"{flag} names input '{name}' twice");
                }
            }
            catch (FormatException)
            {
                throw new ArgumentException($"{flag} '{text}': expected {form}");
            }
        }
        return result;
    }

    private static long[] ParseShape(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries).Select(d => long.Parse(d, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();

    private static double ParseNumber(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static ValueRange ParseRange(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 2 ? new ValueRange(ParseNumber(parts[0]), ParseNumber(parts[1])) : throw new FormatException();
    }
}
