using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FleetQuant.DeviceAgent.Profiles;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>What provisioning returns: the device's secret (shown once), where its broker is, and the key manifests are signed with.</summary>
public sealed record ProvisionedDevice(string DeviceId, string Secret, string MqttHost, int MqttPort, string ServerPublicKeyPem);

/// <summary>Registers devices through the Gateway's REST API (<c>POST /api/devices</c>) with an operator token.</summary>
public sealed class DeviceProvisioner : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    public DeviceProvisioner(Uri server, string token)
    {
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>
    /// Provisions the device, or — when the server already knows it (409: a simulator run again against the same server)
    /// — rotates its secret, since a secret is shown only once and this run has none.
    /// </summary>
    public async Task<ProvisionedDevice> ProvisionAsync(string deviceId, ProfileOverrides profile, CancellationToken cancellationToken)
    {
        var response = await SendAsync(deviceId, () => _http.PostAsJsonAsync("/api/devices", new { deviceId, hardwareClass = profile.HardwareClass, tags = profile.Tags }, Json, cancellationToken));
        if (response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            response.Dispose();
            response = await SendAsync(deviceId, () => _http.PostAsync($"/api/devices/{Uri.EscapeDataString(deviceId)}/secret", content: null, cancellationToken));
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new SimulatorException($"provisioning {deviceId} failed: HTTP {(int)response.StatusCode} {Truncate(body)}");
            }
            return await response.Content.ReadFromJsonAsync<ProvisionedDevice>(Json, cancellationToken)
                ?? throw new SimulatorException($"provisioning {deviceId}: empty response");
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(string deviceId, Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException ex)
        {
            throw new SimulatorException($"cannot reach {_http.BaseAddress} to provision {deviceId}: {ex.Message}", ex);
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
