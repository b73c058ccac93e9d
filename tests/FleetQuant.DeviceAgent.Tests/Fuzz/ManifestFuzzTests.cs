using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;

namespace FleetQuant.DeviceAgent.Tests.Fuzz;

/// <summary>
/// Mutated desired-state manifests through the verifier the agent runs on every downlink: each is rejected with a
/// <see cref="ManifestRejection"/> (never an exception), none is accepted unless it carries the original signed payload,
/// each returns within the deadline and the run keeps no memory.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(nameof(FuzzCollection))]
public sealed class ManifestFuzzTests
{
    private const string DeviceId = "dev-fuzz-1";
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(5);

    private readonly ECDsa _serverKey = ManifestKeys.Generate();

    [Fact]
    public async Task Verify_MutatedManifests_RejectWithoutThrowing_AndAcceptOnlyTheSignedPayload()
    {
        var cases = FuzzRun.Cases(2000);
        var original = new ManifestSigner(_serverKey).Sign(Manifest());
        var envelope = ProtocolJson.Serialize(original);
        var verifier = Verifier();
        Assert.True(verifier.Verify(envelope, DeviceId, lastAcceptedRelease: 4).Accepted);
        var mutator = new PayloadMutator(20261204);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var heapBefore = FuzzRun.CollectedHeapBytes();

        for (var i = 0; i < cases; i++)
        {
            var (target, mutation, bytes, resigned) = Mutate(mutator, original, envelope);
            var label = $"case {i} ({target}: {mutation}, sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]})";
            var result = await FuzzRun.WithDeadline(() => Task.FromResult(Verify(verifier, bytes, label)), CaseDeadline, label);
            if (result.Accepted && !resigned)
            {
                var payload = ProtocolJson.Deserialize<SignedManifest>(bytes).Payload;
                Assert.True(payload == original.Payload, $"{label}: accepted a payload that differs from the signed one");
            }
            var outcome = result.Accepted ? "accepted" : result.Rejection!.Value.ToString();
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        FuzzRun.AssertBoundedMemory(heapBefore, "manifest fuzz");
        Assert.True(outcomes.GetValueOrDefault(nameof(ManifestRejection.BadSignature)) > 0, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault(nameof(ManifestRejection.Malformed)) > 0, string.Join(", ", outcomes));
        Console.WriteLine(FuzzRun.Summary("manifests", cases, clock, outcomes));
    }

    private static ManifestVerification Verify(ManifestVerifier verifier, byte[] bytes, string label)
    {
        try
        {
            return verifier.Verify(bytes, DeviceId, lastAcceptedRelease: 4);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{label}: the verifier threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// Attacks the envelope JSON, the payload text under the original signature, the signature and key id, and the
    /// payload re-signed with the real key (so the manifest parser behind the signature check sees hostile text).
    /// </summary>
    private (string Target, string Mutation, byte[] Bytes, bool Resigned) Mutate(PayloadMutator mutator, SignedManifest original, byte[] envelope)
    {
        switch (mutator.Random.Next(5))
        {
            case 0:
                var (m0, b0) = mutator.MutateJson(envelope);
                return ("envelope", m0, b0, false);
            case 1:
                var (m1, payload) = mutator.MutateJson(Encoding.UTF8.GetBytes(original.Payload));
                return ("payload", m1, ProtocolJson.Serialize(original with { Payload = Encoding.UTF8.GetString(payload) }), false);
            case 2:
                var signature = Convert.FromBase64String(original.Signature);
                var (m2, damaged) = mutator.Random.Next(2) == 0
                    ? mutator.MutateBytes(signature)
                    : ("base64 text", Encoding.UTF8.GetBytes(Encoding.ASCII.GetString(mutator.MutateBytes(Encoding.ASCII.GetBytes(original.Signature)).Bytes)));
                var text = m2 == "base64 text" ? Encoding.UTF8.GetString(damaged) : Convert.ToBase64String(damaged);
                return ("signature", m2, ProtocolJson.Serialize(original with { Signature = text }), false);
            case 3:
                var (m3, keyId) = mutator.MutateBytes(Encoding.UTF8.GetBytes(original.KeyId));
                return ("key id", m3, ProtocolJson.Serialize(original with { KeyId = Encoding.UTF8.GetString(keyId) }), false);
            default:
                var (m4, hostile) = mutator.MutateJson(Encoding.UTF8.GetBytes(original.Payload));
                var resigned = ResignText(Encoding.UTF8.GetString(hostile), original.KeyId);
                return ("re-signed payload", m4, ProtocolJson.Serialize(resigned), true);
        }
    }

    /// <summary>Signs arbitrary text as the server would (the signer only signs serialised manifests).</summary>
    private SignedManifest ResignText(string payload, string keyId)
    {
        var signature = _serverKey.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new SignedManifest { Payload = payload, Signature = Convert.ToBase64String(signature), KeyId = keyId };
    }

    private ManifestVerifier Verifier()
    {
        var publicOnly = ECDsa.Create();
        publicOnly.ImportSubjectPublicKeyInfo(_serverKey.ExportSubjectPublicKeyInfo(), out _);
        return new ManifestVerifier(publicOnly, new FixedClock(Now));
    }

    private static UpdateManifest Manifest() => new()
    {
        DeviceId = DeviceId,
        ModelId = "fashion",
        ModelVersion = 1,
        RecipeId = "q4b32a",
        Release = 5,
        IssuedAt = Now.AddMinutes(-1),
        ExpiresAt = Now.AddDays(1),
        Artifact = ChunkTable.Describe(new byte[1000], 256),
    };
}
