using System.Security.Cryptography;
using System.Text;

namespace FleetQuant.Gateway.Mosquitto;

/// <summary>
/// Mosquitto 2's password-file hash: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte random salt, 64-byte key, written
/// <c>$7$iterations$base64(salt)$base64(key)</c> — what <c>mosquitto_passwd</c> writes, so generated files load as-is.
/// </summary>
public static class MosquittoPasswordHash
{
    public const int Iterations = 101;
    private const int SaltBytes = 12;
    private const int KeyBytes = 64;

    public static string Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return Format(salt, Derive(password, salt, Iterations), Iterations);
    }

    /// <summary>True when <paramref name="password"/> matches a <c>$7$</c> hash (constant-time compare).</summary>
    public static bool Verify(string password, string hash)
    {
        var parts = hash.Split('$');
        if (parts.Length != 5 || parts[0].Length != 0 || parts[1] != "7" || !int.TryParse(parts[2], out var iterations) || iterations is < 1 or > 1_000_000)
        {
            return false;
        }
        try
        {
            var salt = Convert.FromBase64String(parts[3]);
            var expected = Convert.FromBase64String(parts[4]);
            return CryptographicOperations.FixedTimeEquals(Derive(password, salt, iterations, expected.Length), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Derive(string password, byte[] salt, int iterations, int length = KeyBytes) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, length);

    private static string Format(byte[] salt, byte[] key, int iterations) =>
        $"$7${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}";
}
