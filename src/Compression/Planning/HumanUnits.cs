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

    /// <summary>
    /// An accuracy drop against FP32 as the signed change of accuracy, the one way the planner's reasons and the CLI's
    /// tables print it: 0.004 → "-0.4 pt", -0.004 → "+0.4 pt", 0 → "no loss". The sign follows what is printed, so
    /// a drop too small to show is "no loss", never "+0 pt".
    /// </summary>
    public static string AccuracyChange(double drop)
    {
        var points = ThreeDigits(Math.Abs(drop) * 100);
        return points == "0" ? "no loss" : drop > 0 ? $"-{points} pt" : $"+{points} pt";
    }

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
