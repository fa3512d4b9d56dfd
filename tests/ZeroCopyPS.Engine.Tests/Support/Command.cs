using System.Diagnostics;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>Runs a program to its end, bounded in time; a program still running at the deadline is killed (by its PID) and fails the test.</summary>
public static class Command
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? input = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not end within {timeout}.");
        }
        return new Result(process.ExitCode, await output, await errors);
    }

    public static async Task<int> ExitCodeAsync(string file, params string[] arguments) =>
        (await RunAsync(file, arguments, TimeSpan.FromSeconds(30))).ExitCode;
}
