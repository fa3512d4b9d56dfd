using System.Diagnostics;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Stops a proxy job's engine once and says what it waited for: how many connections were open, how long
/// they may finish, and how many were reset when the drain ran out (Stop-ZeroCopyProxy -Verbose).
/// </summary>
internal static class JobStopper
{
    /// <summary>Stops <paramref name="server"/> (null: nothing to stop); returns what went wrong, if anything.</summary>
    public static Exception? Stop(ZeroCopyProxyJob job, ProxyServer? server, TimeSpan drainTimeout, Action<string>? report, out ProxyStatus? final)
    {
        final = null;
        if (server is null) return null;
        Exception? failure = null;
        if (report is not null) report(Starting(job, server, drainTimeout));
        long closedBefore = job.ClosedByStop;
        var clock = Stopwatch.StartNew();
        try
        {
            server.Stop(drainTimeout);
        }
        catch (Exception e)
        {
            failure = e;
        }

        try
        {
            final = server.GetStatus();
        }
        catch (Exception e)
        {
            failure ??= e;
        }

        long reset = job.ClosedByStop - closedBefore;
        report?.Invoke($"Proxy '{job.Name}' stopped in {DisplayFormat.Duration(clock.Elapsed)}" + (reset > 0
            ? $": {Connections(reset)} still open when the drain ended {(reset == 1 ? "was" : "were")} reset."
            : "."));
        return failure;
    }

    public static void Dispose(ProxyServer? server)
    {
        try
        {
            server?.Dispose();
        }
        catch (Exception)
        {
            // Disposing must not throw; the engine already reported what it could.
        }
    }

    private static string Starting(ZeroCopyProxyJob job, ProxyServer server, TimeSpan drainTimeout)
    {
        long open;
        try
        {
            open = server.GetStatus().ActiveConnections;
        }
        catch (ObjectDisposedException)
        {
            open = 0;
        }
        string what = open == 0
            ? "no connection is open"
            : drainTimeout == TimeSpan.Zero
                ? $"resetting {Connections(open)} at once"
                : $"waiting up to {DisplayFormat.Duration(drainTimeout)} for {Connections(open)} to finish, then resetting what is left (-Force resets at once)";
        return $"Stopping proxy '{job.Name}' (Id {job.Id}): closing its listeners ({job.Location}); {what}.";
    }

    private static string Connections(long count) => count == 1 ? "1 connection" : $"{count} connections";
}
