using System.CommandLine;

namespace FleetQuant.Cli.Operator;

/// <summary>The flags every operator verb takes: <c>--server</c>, <c>--token</c> and <c>--json</c>.</summary>
public sealed class OperatorOptions
{
    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"Gateway URL (default: ${OperatorSettings.ServerVariable}, the config file, or {OperatorSettings.DefaultServer})",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"Operator token (default: ${OperatorSettings.TokenVariable} or the config file ~/.config/fleetquant/config.json)",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON for scripts instead of tables" };

    /// <summary>A verb with the shared flags added.</summary>
    public Command Verb(string name, string description)
    {
        var command = new Command(name, description);
        command.Options.Add(Server);
        command.Options.Add(Token);
        command.Options.Add(Json);
        return command;
    }

    public OperatorClient Connect(ParseResult parse) =>
        new(OperatorSettings.Resolve(parse.GetValue(Server), parse.GetValue(Token)));
}
