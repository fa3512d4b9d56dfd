namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// The real Prometheus tool, installed by the test itself when missing (Debian package "prometheus",
/// as root; apt-get update only if the first install fails), bounded in time.
/// </summary>
public static class Promtool
{
    private static readonly SemaphoreSlim Installing = new(1, 1);

    public static async Task<string> EnsureAsync()
    {
        await Installing.WaitAsync();
        try
        {
            if (Find() is { } found) return found;
            var limit = TimeSpan.FromMinutes(5);
            string[] install = ["-y", "-q", "install", "prometheus"];
            Command.Result result = await Command.RunAsync("apt-get", install, limit);
            if (result.ExitCode != 0)
            {
                await Command.RunAsync("apt-get", ["-q", "update"], limit);
                result = await Command.RunAsync("apt-get", install, limit);
            }
            return Find() ?? throw new InvalidOperationException(
                $"promtool is missing and 'apt-get install prometheus' did not bring it (exit {result.ExitCode}): {result.Errors}");
        }
        finally
        {
            Installing.Release();
        }
    }

    /// <summary>promtool check metrics on an exposition: its exit code and what it said.</summary>
    public static async Task<Command.Result> CheckMetricsAsync(string exposition) =>
        await Command.RunAsync(await EnsureAsync(), ["check", "metrics"], TimeSpan.FromSeconds(60), exposition);

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':')
            .Select(dir => Path.Combine(dir, "promtool")).FirstOrDefault(File.Exists);
}
