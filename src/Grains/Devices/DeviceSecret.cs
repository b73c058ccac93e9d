using System.Security.Cryptography;
using System.Text;

namespace FleetQuant.Grains.Devices;

/// <summary>
/// Device secrets: generated as 256 random bits, stored as HMAC-SHA256(salt, secret) with a per-device salt,
/// verified in constant time. A single keyed hash suffices because the secrets are random, not passwords;
/// a slow KDF would only burn the silo's CPU on every device connect.
/// </summary>
public static class DeviceSecret
{
    public const int MinLength = 16;
    public const int MaxLength = 256;

    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static (byte[] Salt, byte[] Hash) Protect(string secret)
    {
        if (secret.Length is < MinLength or > MaxLength)
        {
            throw new InvalidDeviceRequestException($"a device secret must be {MinLength}..{MaxLength} characters");
        }
        var salt = RandomNumberGenerator.GetBytes(16);
        return (salt, Hash(salt, secret));
    }

    public static bool Verify(string? secret, byte[]? salt, byte[]? expected)
    {
        if (secret is null || salt is null || expected is null || secret.Length > MaxLength)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Hash(salt, secret), expected);
    }

    private static byte[] Hash(byte[] salt, string secret) => HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(secret));
}
