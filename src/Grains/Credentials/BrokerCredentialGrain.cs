using FleetQuant.Grains.Hosting;

namespace FleetQuant.Grains.Credentials;

/// <summary>Stores a device's Mosquitto <c>$7$</c> password hash (never the secret) for generated password files.</summary>
public sealed class BrokerCredentialGrain(
    [PersistentState("broker-credential", StorageNames.Devices)] IPersistentState<BrokerCredentialState> state) : Grain, IBrokerCredentialGrain
{
    public async Task Set(string mosquittoHash)
    {
        if (!mosquittoHash.StartsWith("$7$", StringComparison.Ordinal) || mosquittoHash.Length > 512)
        {
            throw new ArgumentException("expected a Mosquitto $7$ (PBKDF2-SHA512) hash");
        }
        state.State.MosquittoHash = mosquittoHash;
        await state.WriteStateAsync();
    }

    public Task<string?> Get() => Task.FromResult(state.State.MosquittoHash);
}

/// <summary>A device's broker password hash in Mosquitto's format.</summary>
[GenerateSerializer, Alias("fq.BrokerCredentialState")]
public sealed class BrokerCredentialState
{
    [Id(0)]
    public string? MosquittoHash { get; set; }
}
