using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Start-ZeroCopyProxy -Wait: the same engine in the foreground, statistics to the pipeline until stopped.
/// SIGTERM or SIGINT stop it with its drain while the records of the drain still go to the pipeline and the
/// log; a second signal cuts the drain; Ctrl+C handled by PowerShell (StopProcessing), Stop-Job or a
/// downstream Select-Object -First stop the pipeline, so the drain's records only reach the log
/// (docs/ARCHITECTURE.md, "Process exit and signals").
/// </summary>
internal static class ForegroundProxy
{
    /// <summary>A foreground proxy is not in the job repository, so its name only has to be recognisable in statistics.</summary>
    public static string DefaultName() =>
        "zcproxy-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Runs until stopped; owns <paramref name="service"/> and disposes it once the proxy stopped.</summary>
    public static void Run(PSCmdlet cmdlet, ProxyOptions options, ProxyServiceResources service, int historyLimit, CancellationToken stopping)
    {
        // The limit bounds the backlog the pipeline has not consumed yet; at least one slot, or -HistoryLimit 0
        // would silently swallow everything.
        using var observer = new ForegroundObserver(Math.Max(historyLimit, 1));
        // Before the start: a SIGTERM from here on drains instead of ending the process under the proxy.
        using var signals = new ForegroundSignals();
        ProxyServer? server = null;
        try
        {
            try
            {
                server = ProxyServer.Start(options, observer);
            }
            catch (Exception e)
            {
                cmdlet.ThrowTerminatingError(ProxyStartErrors.FromException(e, options));
            }
            signals.Attach(server!);
            // The next instance took the listeners over -HandOverPath: this one drains and returns (docs/service.md).
            using var handedOver = server!.ListenersHandedOver.Register(() => signals.RequestStop("Listeners handed over to the next instance"));
            string[] listening = server!.ListenEndPoints.Select(ProxyEndpoint.Format).ToArray();
            StartReport.Write(cmdlet, options, listening, server.EffectiveMaxConnections, server.DescriptorLimit);
            StartReport.WriteListening(cmdlet, options, listening, service.Describe());

            using var output = new ForegroundOutput(cmdlet, observer, options.Name, historyLimit);
            using (var either = CancellationTokenSource.CreateLinkedTokenSource(stopping, signals.StopRequested))
                output.WriteUntil(either.Token);
            if (!stopping.IsCancellationRequested) DrainOnSignal(cmdlet, server, signals, output);
        }
        finally
        {
            // PowerShell's stop, a downstream Select-Object -First, or an engine fault: drain and close either way,
            // before the observer is disposed under the engine's late callbacks; then the log writes out the drain's records.
            try
            {
                server?.Stop();
            }
            finally
            {
                service.Dispose();
            }
        }
    }

    // The stop runs on the thread pool while this thread goes on writing what the drain closes; once the stop
    // returned, every record is in the hand-off and a last pass takes them all.
    private static void DrainOnSignal(PSCmdlet cmdlet, ProxyServer server, ForegroundSignals signals, ForegroundOutput output)
    {
        ProxyStatus status = server.GetStatus();
        StartReport.WriteInformation(cmdlet, $"{signals.StopReason}: proxy '{server.Name}' stopped accepting; " +
            $"waiting up to {DisplayFormat.Duration(server.Options.DrainTimeout)} for {status.ActiveConnections} open connection(s) to finish (a second signal resets them at once).");
        // Not disposed: should PowerShell stop the pipeline meanwhile (its own Ctrl+C handling), WriteObject throws
        // and this returns while the stop still runs and will cancel it. It holds no timer, so nothing leaks.
        var stopped = new CancellationTokenSource();
        Task stop = Task.Run(() =>
        {
            try
            {
                server.Stop();
            }
            finally
            {
                stopped.Cancel();
            }
        });
        output.WriteUntil(stopped.Token);
        output.WriteUntil(stopped.Token);
        stop.GetAwaiter().GetResult();
        StartReport.WriteInformation(cmdlet, $"Proxy '{server.Name}' stopped.");
    }
}
