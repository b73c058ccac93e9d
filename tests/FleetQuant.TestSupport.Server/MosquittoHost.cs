namespace FleetQuant.TestSupport.Server;

/// <summary>Mosquitto kept as the user running the tests, one client id per connection as the client chooses.</summary>
public sealed class MosquittoHost : MosquittoBrokerHost
{
    protected override IEnumerable<string> BrokerSettings => ["user root"];
}
