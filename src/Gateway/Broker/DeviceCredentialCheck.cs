using System.Security.Cryptography;
using System.Text;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Devices;
using FleetQuant.Protocol.Topics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// Checks device credentials against the device grain and remembers positive answers briefly, so a reconnect storm
/// does not become a storm of grain calls. Negative answers are never cached (a just-provisioned device gets in).
/// </summary>
public sealed class DeviceCredentialCheck(IGrainFactory grains, IMemoryCache cache, IOptions<MqttOptions> options)
{
    private const int MaxSecretLength = 256;
    private readonly MqttOptions _options = options.Value;

    public async Task<bool> IsValidAsync(string deviceId, string? secret)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId) || string.IsNullOrEmpty(secret) || secret.Length > MaxSecretLength)
        {
            return false;
        }
        // Keyed by a hash of id and secret: the cache never holds the secret itself.
        var key = "cred:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(deviceId + "\n" + secret)));
        if (cache.TryGetValue(key, out _))
        {
            return true;
        }
        var valid = await grains.GetGrain<IDeviceGrain>(deviceId).VerifyCredentials(secret);
        if (valid && _options.CredentialCacheTime > TimeSpan.Zero)
        {
            cache.Set(key, true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.CredentialCacheTime, Size = 1 });
        }
        return valid;
    }

    /// <summary>Constant-time check of the Gateway's own account.</summary>
    public bool IsGatewayAccount(string? user, string? secret, string expectedSecret) =>
        user == _options.GatewayUser && secret is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), SHA256.HashData(Encoding.UTF8.GetBytes(expectedSecret)));
}
