using System.Net.Http.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Api;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.TestSupport.Server;

/// <summary>Shared inputs: provisioning through the API and a device profile that fits any small model.</summary>
public static class GatewayTestData
{
    public static async Task<ProvisionDeviceResponse> ProvisionAsync(HttpClient http, string deviceId, string hardwareClass = "pi4")
    {
        var response = await http.PostAsJsonAsync("/api/devices", new { deviceId, hardwareClass, tags = new Dictionary<string, string> { ["site"] = "lab" } });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ProvisionDeviceResponse>())!;
    }

    public static HelloMessage Hello(string deviceId, string? currentArtifact = null) => new()
    {
        AgentVersion = "test-1",
        CurrentArtifactSha256 = currentArtifact,
        Profile = new DeviceProfile
        {
            DeviceId = deviceId,
            HardwareClass = "pi4",
            Arch = "arm64",
            CpuCores = 4,
            CpuFeatures = ["neon"],
            RamBytes = 4L << 30,
            ModelMemoryBudgetBytes = 512L << 20,
            StorageBytes = 8L << 30,
            BandwidthBitsPerSecond = 20_000_000,
            Tags = new Dictionary<string, string> { ["site"] = "lab" },
        },
    };

    public static string ModelPath(string file) => FleetQuant.Compression.Data.SampleData.ModelPath(file);
}
