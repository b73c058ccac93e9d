using System.CommandLine;

namespace FleetQuant.Cli;

/// <summary>
/// Runs a verb and turns any failure into one clear line on stderr and a non-zero exit: operators and
/// scripts see what went wrong, never a stack trace.
/// </summary>
public static class CliRunner
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"fleetquant: {error.Message}");
            }
            return UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("fleetquant: cancelled");
            return Failure;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"fleetquant: {OneLine(ex)}");
            return Failure;
        }
    }

    private static string OneLine(Exception ex)
    {
        var inner = ex is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : ex;
        return inner.Message.ReplaceLineEndings(" ");
    }
}
