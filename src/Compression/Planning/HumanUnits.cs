using System.Globalization;

namespace FleetQuant.Compression.Planning;

/// <summary>Formats the planner's numbers for people: binary bytes (MiB), decimal bit rates, seconds and points.</summary>
public static class HumanUnits
{
    private static readonly string[] ByteUnits = ["B", "KiB", "MiB", "GiB", "TiB"];
    private static readonly string[] RateUnits = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];

    public static string Bytes(long bytes) => Scaled(bytes, 1024, ByteUnits);

    public static string BitRate(long bitsPerSecond) => Scaled(bitsPerSecond, 1000, RateUnits);

    public static string Seconds(double seconds) => $"{ThreeDigits(seconds)} s";

    /// <summary>A fraction as a percentage: 0.879 → "87.9 %".</summary>
    public static string Percent(double fraction) => $"{ThreeDigits(fraction * 100)} %";

    /// <summary>A fraction as percentage points: 0.004 → "0.4 pt".</summary>
    public static string Points(double fraction) => $"{ThreeDigits(fraction * 100)} pt";

    private static string Scaled(double value, double step, string[] units)
    {
        var unit = 0;
        while (Math.Abs(value) >= step && unit < units.Length - 1)
        {
            value /= step;
            unit++;
        }
        return $"{ThreeDigits(value)} {units[unit]}";
    }

    // Three significant digits, trailing zeros dropped: 8 → "8", 9.14 → "9.14", 25.43 → "25.4", 812.3 → "812".
    private static string ThreeDigits(double value)
    {
        var magnitude = Math.Abs(value);
        var format = magnitude >= 100 ? "0" : magnitude >= 10 ? "0.#" : "0.##";
        return value.ToString(format, CultureInfo.InvariantCulture);
    }
}
