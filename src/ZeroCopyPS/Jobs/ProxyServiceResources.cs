using System.Management.Automation;
using System.Net;
using ZeroCopyPS.Engine.Logging;
using ZeroCopyPS.Engine.Metrics;

namespace ZeroCopyPS;

/// <summary>
/// What -LogPath and -MetricsListen open for one proxy, job or -Wait: its access-log handle and its share of a
/// metrics endpoint. The engine expects its host to own both (docs/ARCHITECTURE.md, "Running as a service"):
/// they are opened before the proxy starts (the log goes in as ProxyOptions.AccessLog; an endpoint describes
/// the connections that close while it runs) and disposed after it stopped, so the last records of the drain
/// are written out before the log's last handle closes the file.
/// </summary>
internal sealed class ProxyServiceResources : IDisposable
{
    private int _disposed;

    private ProxyServiceResources(AccessLog? log, MetricsEndpoint? metrics)
    {
        Log = log;
        Metrics = metrics;
    }

    /// <summary>Nothing to own: no -LogPath, no -MetricsListen.</summary>
    public static ProxyServiceResources None { get; } = new(null, null);

    public AccessLog? Log { get; }

    public MetricsEndpoint? Metrics { get; }

    /// <summary>Opens what was asked for; null with <paramref name="failure"/> set (and nothing left open) when something cannot be.</summary>
    public static ProxyServiceResources? Open(string? logPath, IPEndPoint? metrics, out ErrorRecord? failure)
    {
        failure = null;
        if (logPath is null && metrics is null) return None;
        AccessLog? log = null;
        try
        {
            if (logPath is not null) log = AccessLog.Open(logPath);
            MetricsEndpoint? endpoint = metrics is null ? null : MetricsEndpoint.Start(metrics);
            return new ProxyServiceResources(log, endpoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            failure = ServiceErrors.AccessLogOpenFailed(e, logPath!);
        }
        catch (MetricsEndpointException e)
        {
            failure = ServiceErrors.MetricsListenFailed(e, metrics!);
        }
        log?.Dispose();
        return null;
    }

    /// <summary>Reopens the log (logrotate moved it); see <see cref="AccessLog.Reopen"/>. Throws when the proxy has no log.</summary>
    public bool ReopenLog(string proxyName) => Log is null
        ? throw new InvalidOperationException($"Proxy '{proxyName}' has no access log: it was started without -LogPath.")
        : Log.Reopen();

    /// <summary>The addresses served, for the start report: "log /var/log/db.jsonl, metrics http://127.0.0.1:9100/metrics".</summary>
    public string Describe()
    {
        var parts = new List<string>(2);
        if (Log is not null) parts.Add("access log " + Log.Path);
        if (Metrics is not null) parts.Add("metrics " + Metrics.Url);
        return string.Join(", ", parts);
    }

    /// <summary>After the proxy stopped: the log writes out what is queued (bounded), the endpoint stops with its last handle.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(this, None) || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            Log?.Dispose();
        }
        finally
        {
            Metrics?.Dispose();
        }
    }
}
