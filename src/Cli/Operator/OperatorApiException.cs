namespace FleetQuant.Cli.Operator;

/// <summary>The server refused a request or could not be reached; the message is the one line the operator sees.</summary>
public sealed class OperatorApiException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status, when the server answered.</summary>
    public int? StatusCode { get; } = statusCode;
}
