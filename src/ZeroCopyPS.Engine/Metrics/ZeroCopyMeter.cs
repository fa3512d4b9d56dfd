using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ZeroCopyPS.Engine.Metrics;

/// <summary>
/// The process-wide <c>System.Diagnostics.Metrics</c> meter named <c>ZeroCopyPS</c> (docs/ARCHITECTURE.md,
/// "Metrics"): what dotnet-counters, OpenTelemetry and this engine's Prometheus endpoint all read. Every
/// measurement carries proxy=NAME; proxies that share a name are summed. Counters are observable: they
/// are read from each running proxy's <see cref="ProxyMetrics"/> when a reader collects, so the copy path
/// pays nothing and a proxy's series start and end with the proxy. The two histograms are recorded when a
/// connection's statistics are published.
/// </summary>
internal static class ZeroCopyMeter
{
    public const string MeterName = "ZeroCopyPS";
    public const string ProxyTag = "proxy";

    private static readonly ConcurrentDictionary<ProxyMetrics, byte> Live = new();

    public static readonly Meter Meter = new(MeterName, typeof(ZeroCopyMeter).Assembly.GetName().Version?.ToString(3));

    /// <summary>Seconds from accept until the target connection was up (DNS included); connections that never connected are not in it.</summary>
    public static readonly Histogram<double> ConnectTime = Meter.CreateHistogram<double>(
        "zerocopyps.connect.time", "s", "Time from accept until the target connection was established, DNS included.");

    /// <summary>Seconds from accept to close, of every closed connection.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "zerocopyps.connection.duration", "s", "Time from accept to close of each closed connection.");

    /// <summary>Prometheus bucket bounds (seconds) of each histogram; .NET 8's meter API cannot carry them itself.</summary>
    public static double[] BucketsFor(Instrument instrument) => instrument == ConnectTime
        ? [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
        : [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400];

    /// <summary>A proxy left (its series go); the name, for readers that keep per-series state.</summary>
    public static event Action<string>? Detached;

    static ZeroCopyMeter()
    {
        Counter("zerocopyps.connections.opened", "{connection}", "Connections accepted.", s => s.TotalConnections);
        Gauge("zerocopyps.connections.active", "{connection}", "Connections open now.", s => s.ActiveConnections);
        Meter.CreateObservableCounter("zerocopyps.connections.closed", () => ByEnum<CloseReason>("reason", (m, r) => m.Closed(r)),
            "{connection}", "Connections closed, by close reason (counted when their statistics are published).");
        Counter("zerocopyps.connections.refused", "{connection}", "Waiting clients reset because the process had no descriptor left.", s => s.RefusedConnections);
        Counter("zerocopyps.connect.failures", "{connection}", "Connections whose target could not be reached (close reason ConnectFailed).",
            m => m.Closed(CloseReason.ConnectFailed));
        Counter("zerocopyps.connect.attempts", "{attempt}", "Target connect attempts of closed connections.", m => m.ConnectAttempts);
        Meter.CreateObservableCounter("zerocopyps.delivered", () => ByDirection(m => m.DeliveredClientToTarget, m => m.DeliveredTargetToClient),
            "By", "Bytes delivered by closed connections (accepted by the receiving peer's kernel), by direction.");
        Meter.CreateObservableCounter("zerocopyps.copy_path", () => Tagged("path", ("splice", m => m.Spliced), ("buffered", m => m.Copied)),
            "By", "Bytes delivered by closed connections, by what moved them: splice(2) or a user-space buffer.");
        Meter.CreateObservableCounter("zerocopyps.lost", () => ByDirection(m => m.LostClientToTarget, m => m.LostTargetToClient),
            "By", "Bytes read but never delivered because their connection was aborted, by direction.");
        Meter.CreateObservableCounter("zerocopyps.fallbacks", () => ByEnum<FallbackReason>("reason", (m, r) => r == FallbackReason.None ? -1 : m.Fallbacks(r)),
            "{connection}", "Closed connections that copied through a buffer where splice was wanted, by the reason their statistics name.");
        Meter.CreateObservableCounter("zerocopyps.relayed", () => LiveByDirection(s => s.BytesClientToTarget, s => s.BytesTargetToClient),
            "By", "Bytes written to the destination so far, open connections included, by direction.");
        Counter("zerocopyps.splice.fallbacks", "{fallback}", "Bursts copied through a buffer where splice was wanted (pipe shortage, unsupported socket, urgent data).", s => s.SpliceFallbacks);
        Meter.CreateObservableUpDownCounter("zerocopyps.pipes", () => LiveTagged("state", ("in_use", s => s.PipesInUse), ("idle", s => s.PipesIdle)),
            "{pipe}", "Splice pipes held by the proxy's loops: in use (holding a burst) or idle in a pool.");
        Meter.CreateObservableUpDownCounter("zerocopyps.pipes.memory", () => LiveTagged("state",
                ("in_use", s => s.PipesBySize.Sum(p => (long)p.InUse * p.CapacityBytes)), ("idle", s => s.PipesBySize.Sum(p => (long)p.Idle * p.CapacityBytes))),
            "By", "Pipe capacity held (pipes times their size class): what counts against MaxPipeMemory and pipe-user-pages-soft.");
        Gauge("zerocopyps.pipes.memory.limit", "By", "The pipe byte budget (MaxPipeMemory): growth stops, then splice falls back to buffers, at it.", s => s.MaxPipeMemoryBytes);
        Counter("zerocopyps.pipes.growths", "{growth}", "Pipes grown one size class because their direction kept filling them.", s => s.PipeGrowths);
        Counter("zerocopyps.pipes.growths.refused", "{growth}", "Pipe sizes the kernel refused or granted in part (the pipe kept what it got).", s => s.PipeGrowthsRefused);
        Counter("zerocopyps.dns.lookups", "{lookup}", "Lookups of the target's name.", s => s.DnsLookups);
        Counter("zerocopyps.dns.failures", "{lookup}", "Lookups of the target's name that failed.", s => s.DnsFailures);
        Counter("zerocopyps.connections.faulted", "{connection}", "Closed connections that an injected fault (Add-ZeroCopyFault) touched.", m => m.Faulted);
        Counter("zerocopyps.engine.faults", "{fault}", "Engine failures (a loop thread failed and the proxy stopped serving).", m => m.Faults);
    }

    public static void Attach(ProxyMetrics metrics) => Live[metrics] = 0;

    public static void Detach(ProxyMetrics metrics)
    {
        if (Live.TryRemove(metrics, out _)) Detached?.Invoke(metrics.Name);
    }

    /// <summary>True while a running proxy of the process has this name.</summary>
    public static bool IsLive(string name) => Live.Keys.Any(m => m.Name == name);

    private static void Counter(string name, string unit, string description, Func<ProxyMetrics, long> value) =>
        Meter.CreateObservableCounter(name, () => PerProxy(value), unit, description);

    private static void Counter(string name, string unit, string description, Func<ProxyStatus, long> value) =>
        Meter.CreateObservableCounter(name, () => LiveTagged(null, ("", value)), unit, description);

    private static void Gauge(string name, string unit, string description, Func<ProxyStatus, long> value) =>
        Meter.CreateObservableUpDownCounter(name, () => LiveTagged(null, ("", value)), unit, description);

    private static IEnumerable<IGrouping<string, ProxyMetrics>> Proxies() => Live.Keys.GroupBy(m => m.Name, StringComparer.Ordinal);

    private static IEnumerable<Measurement<long>> PerProxy(Func<ProxyMetrics, long> value) => Tagged(null, ("", value));

    private static IEnumerable<Measurement<long>> ByDirection(Func<ProxyMetrics, long> clientToTarget, Func<ProxyMetrics, long> targetToClient) =>
        Tagged("direction", ("client_to_target", clientToTarget), ("target_to_client", targetToClient));

    private static IEnumerable<Measurement<long>> LiveByDirection(Func<ProxyStatus, long> clientToTarget, Func<ProxyStatus, long> targetToClient) =>
        LiveTagged("direction", ("client_to_target", clientToTarget), ("target_to_client", targetToClient));

    // Every value of the enum, zeros included, so a rate is defined from the first scrape; a negative value leaves the label out.
    private static IEnumerable<Measurement<long>> ByEnum<T>(string key, Func<ProxyMetrics, T, long> value) where T : struct, Enum =>
        Enum.GetValues<T>().SelectMany(v => Tagged(key, (v.ToString(), m => value(m, v)))).Where(m => m.Value >= 0);

    private static IEnumerable<Measurement<long>> Tagged(string? key, params (string Label, Func<ProxyMetrics, long> Value)[] series)
    {
        foreach (IGrouping<string, ProxyMetrics> proxy in Proxies())
            foreach ((string label, Func<ProxyMetrics, long> value) in series)
                yield return Measure(proxy.Key, key, label, proxy.Sum(value));
    }

    private static IEnumerable<Measurement<long>> LiveTagged(string? key, params (string Label, Func<ProxyStatus, long> Value)[] series)
    {
        foreach (IGrouping<string, ProxyMetrics> proxy in Proxies())
        {
            ProxyStatus[] statuses = proxy.Select(m => m.LiveStatus()).OfType<ProxyStatus>().ToArray();
            if (statuses.Length == 0) continue;
            foreach ((string label, Func<ProxyStatus, long> value) in series)
                yield return Measure(proxy.Key, key, label, statuses.Sum(value));
        }
    }

    private static Measurement<long> Measure(string proxy, string? key, string label, long value) => key is null
        ? new Measurement<long>(value, new KeyValuePair<string, object?>(ProxyTag, proxy))
        : new Measurement<long>(value, new KeyValuePair<string, object?>(ProxyTag, proxy), new KeyValuePair<string, object?>(key, label));
}
