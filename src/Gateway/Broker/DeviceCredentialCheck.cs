using System.Collections.Concurrent;
using System.Diagnostics;
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
    private readonly ConcurrentDictionary<string, long> _forgottenAt = new(StringComparer.Ordinal);

    public async Task<bool> IsValidAsync(string deviceId, string? secret)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId) || string.IsNullOrEmpty(secret) || secret.Length > MaxSecretLength)
        {
            return false;
        }
        // Keyed by a hash of id and secret: the cache never holds the secret itself.
        var key = "cred:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(deviceId + "\n" + secret)));
        if (cache.TryGetValue(key, out long cachedAt) && !(_forgottenAt.TryGetValue(deviceId, out var forgotten) && forgotten >= cachedAt))
        {
            return true;
        }
        var checkedAt = Stopwatch.GetTimestamp();
        var valid = await grains.GetGrain<IDeviceGrain>(deviceId).VerifyCredentials(secret);
        if (valid && _options.CredentialCacheTime > TimeSpan.Zero)
        {
            cache.Set(key, checkedAt, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.CredentialCacheTime, Size = 1 });
        }
        return valid;
    }

    /// <summary>Drops what was remembered for <paramref name="deviceId"/> (its secret was rotated): the next connect asks its grain.</summary>
    public void Forget(string deviceId)
    {
        var now = Stopwatch.GetTimestamp();
        _forgottenAt[deviceId] = now;
        // Marks older than the cache lifetime guard nothing any more.
        foreach (var (id, at) in _forgottenAt)
        {
            if (Stopwatch.GetElapsedTime(at, now) > _options.CredentialCacheTime)
            {
                _forgottenAt.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Constant-time check of the Gateway's own account.</summary>
    public bool IsGatewayAccount(string? user, string? secret, string expectedSecret) =>
        user == _options.GatewayUser && secret is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), SHA256.HashData(Encoding.UTF8.GetBytes(expectedSecret)));
}
