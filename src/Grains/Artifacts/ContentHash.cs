using System.Security.Cryptography;

namespace FleetQuant.Grains.Artifacts;

/// <summary>SHA-256 content names: computing them and refusing anything that is not one (they become file names).</summary>
public static class ContentHash
{
    public const int HexLength = 64;

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static bool IsValid(string? hash)
    {
        if (hash is null || hash.Length != HexLength)
        {
            return false;
        }
        foreach (var c in hash)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    public static void Validate(string? hash)
    {
        if (!IsValid(hash))
        {
            throw new ArtifactStoreException($"'{Shorten(hash)}' is not a SHA-256 content hash (64 lowercase hex characters)");
        }
    }

    private static string Shorten(string? value) =>
        value is null ? "(null)" : value.Length <= 80 ? value : value[..80] + "…";
}
