using System.Diagnostics;

namespace FleetQuant.TestSupport;

/// <summary>
/// Runs scripts with Debian's <c>/usr/bin/python3</c>, which has numpy and onnx (packages python3-numpy and
/// python3-onnx), to write files the readers must agree with. The first <c>python3</c> on PATH may lack them.
/// </summary>
public static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <paramref name="script"/> in <paramref name="workingDirectory"/> and returns what it printed.</summary>
    public static string Run(string script, string workingDirectory)
    {
        if (!File.Exists(Interpreter))
        {
            throw new FileNotFoundException($"{Interpreter} is missing; install python3-numpy and python3-onnx (scripts/test does)", Interpreter);
        }
        var start = new ProcessStartInfo(Interpreter, ["-c", script])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Interpreter} did not finish within {Timeout}");
        }
        return process.ExitCode == 0
            ? stdout
            : throw new InvalidOperationException($"{Interpreter} exited with {process.ExitCode}:\n{stderr.Result}");
    }
}
