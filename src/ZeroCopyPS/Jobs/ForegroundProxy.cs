using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>Start-ZeroCopyProxy -Wait: the same engine in the foreground, statistics to the pipeline until Ctrl+C.</summary>
internal static class ForegroundProxy
{
    /// <summary>A foreground proxy is not in the job repository, so its name only has to be recognisable in statistics.</summary>
    public static string DefaultName() =>
        "zcproxy-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];

    public static void Run(PSCmdlet cmdlet, ProxyOptions options, int historyLimit, CancellationToken stopping)
    {
        // The limit bounds the backlog the pipeline has not consumed yet; at least one slot, or -HistoryLimit 0
        // would silently swallow everything.
        using var observer = new ForegroundObserver(Math.Max(historyLimit, 1));
        ProxyServer? server = null;
        try
        {
            server = ProxyServer.Start(options, observer);
        }
        catch (Exception e)
        {
            cmdlet.ThrowTerminatingError(ProxyStartErrors.FromException(e, options));
        }

        StartReport.Write(cmdlet, options, server!.ListenEndPoints.Select(ProxyEndpoint.Format).ToArray(), server.EffectiveMaxConnections, server.DescriptorLimit);
        cmdlet.WriteVerbose("Press Ctrl+C to stop.");
        try
        {
            long warnedDrops = 0;
            while (observer.TryTake(out object? item, stopping))
            {
                if (item is Exception fault) cmdlet.ThrowTerminatingError(ConnectionErrorRecords.EngineFaulted(fault, options.Name, options.Name));
                if (item is ZeroCopyTargetStateChange change)
                {
                    // The same MessageData and tags as the Information records of a job (ProxyJobObserver).
                    cmdlet.WriteInformation(change, new[] { "TargetStateChanged", change.Health.ToString() });
                    continue;
                }
                var statistics = (ConnectionStatistics)item!;
                cmdlet.WriteObject(statistics);
                if (ConnectionErrorRecords.TryCreate(statistics) is { } error) cmdlet.WriteError(error);

                long drops = observer.DroppedCount;
                if (drops == warnedDrops) continue;
                cmdlet.WriteWarning($"{drops - warnedDrops} connection statistics were dropped because the pipeline read them more slowly than connections closed (-HistoryLimit {historyLimit}).");
                warnedDrops = drops;
            }
        }
        finally
        {
            // Ctrl+C, a downstream Select-Object -First, or an engine fault: drain and close either way,
            // before the observer is disposed under the engine's late callbacks.
            server.Stop();
        }
    }
}
