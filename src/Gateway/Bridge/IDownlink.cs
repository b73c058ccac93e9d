namespace FleetQuant.Gateway.Bridge;

/// <summary>Publishes to devices through the broker.</summary>
public interface IDownlink
{
    Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken);
}
