using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Starts an L4 proxy. By default it runs as a background job (returned at once, like
/// Start-ThreadJob); with -Wait it runs in the foreground and streams each closed connection's
/// statistics to the pipeline until Ctrl+C.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ZeroCopyProxy", DefaultParameterSetName = JobSet)]
[OutputType(typeof(ZeroCopyProxyJob), ParameterSetName = new[] { JobSet })]
[OutputType(typeof(ConnectionStatistics), ParameterSetName = new[] { WaitSet })]
public sealed class StartZeroCopyProxyCommand : PSCmdlet, IDisposable
{
    // Parameters the user leaves out keep the engine's defaults (ProxyOptions), so the defaults
    // live in one place only.
    private const string JobSet = "Job";
    private const string WaitSet = "Wait";

    private readonly CancellationTokenSource _stopping = new();
    private ProxyServer? _foregroundServer;

    /// <summary>Where to accept connections: PORT (every interface), HOST:PORT, [IPv6]:PORT, unix:/path, unix:@name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [EndpointTransformation(AcceptsList = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string[] Listen { get; set; } = Array.Empty<string>();

    /// <summary>Where to forward each connection: HOST:PORT, [IPv6]:PORT, unix:/path, unix:@name.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [EndpointTransformation]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string Target { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    public CopyMode CopyMode { get; set; }

    [Parameter]
    public EngineKind Engine { get; set; }

    [Parameter]
    [ValidateRange(ProxyOptionLimits.MaxConnectionsMinimum, ProxyOptionLimits.MaxConnectionsMaximum)]
    public int MaxConnections { get; set; }

    [Parameter]
    [ValidateRange(ProxyOptionLimits.ListenBacklogMinimum, ProxyOptionLimits.ListenBacklogMaximum)]
    public int ListenBacklog { get; set; }

    /// <summary>A number is seconds; a TimeSpan or '00:00:10' works too.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.ConnectTimeoutMaximumSeconds, AllowZero = false)]
    public TimeSpan ConnectTimeout { get; set; }

    /// <summary>Zero disables.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.InactivityTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>Zero disables.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.InactivityTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan HalfCloseTimeout { get; set; }

    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.DrainTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan DrainTimeout { get; set; }

    /// <summary>Pipe capacity in bytes (65536, 64KB, '64KiB'); 0 keeps the kernel default. Int64 so that 4GB gets ValidateByteSize's range message, not an Int32 conversion error.</summary>
    [Parameter]
    [ByteSizeTransformation]
    [ValidateByteSize(0, ProxyOptionLimits.PipeSizeBytesMaximum)]
    public long PipeSize { get; set; }

    [Parameter]
    [ValidateRange(ProxyOptionLimits.MaxPipesMinimum, ProxyOptionLimits.MaxPipesMaximum)]
    public int MaxPipes { get; set; }

    /// <summary>User-space buffer per buffered direction, in bytes (65536, 64KB, '64KiB'); Int64 for the same reason as PipeSize.</summary>
    [Parameter]
    [ByteSizeTransformation]
    [ValidateByteSize(ProxyOptionLimits.BufferSizeBytesMinimum, ProxyOptionLimits.BufferSizeBytesMaximum)]
    public long BufferSize { get; set; }

    /// <summary>0 means one per processor.</summary>
    [Parameter]
    [ValidateRange(0, ProxyOptionLimits.EventLoopCountMaximum)]
    public int EventLoopCount { get; set; }

    /// <summary>
    /// Permission bits of the socket file of a unix:/path listener: octal (660, '0600') or 'rw-rw----'.
    /// Connecting needs write permission. Abstract sockets (unix:@name) have no file and no access control.
    /// </summary>
    [Parameter]
    [UnixModeTransformation]
    [ValidateRange(0, ProxyOptionLimits.UnixSocketModeMaximum)]
    public int UnixSocketMode { get; set; }

    /// <summary>Unread statistics (and, separately, unread errors) kept at most; the oldest go first.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int HistoryLimit { get; set; } = ZeroCopyProxyJob.DefaultHistoryLimit;

    [Parameter(Mandatory = true, ParameterSetName = WaitSet)]
    public SwitchParameter Wait { get; set; }

    protected override void ProcessRecord()
    {
        // Endpoints first: a malformed one is reported before any job, name or socket exists.
        var listen = new List<ProxyEndpoint>(Listen.Length);
        foreach (string text in Listen) listen.Add(ParseEndpoint(text, EndpointRole.Listen));
        ProxyEndpoint target = ParseEndpoint(Target, EndpointRole.Target);
        if (Name is not null && ProxyNameRule.Problem(Name) is { } problem)
            ThrowTerminatingError(ProxyStartErrors.InvalidProxyName(Name, problem));

        if (Wait) RunInForeground(BuildOptions(listen, target, Name ?? ForegroundName()));
        else StartJob(listen, target);
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _foregroundServer?.Dispose();
        _stopping.Dispose();
    }

    private void StartJob(List<ProxyEndpoint> listen, ProxyEndpoint target)
    {
        if (Name is not null && FindRunningProxy(Name) is { } sameName)
            ThrowTerminatingError(ProxyStartErrors.ProxyNameInUse(Name, sameName, nameGiven: true));

        // The job is the observer, so it exists before the engine starts; a default name comes from its Id.
        var job = new ZeroCopyProxyJob(DescribeCommand(), Name, HistoryLimit);
        ProxyOptions options = BuildOptions(listen, target, job.Name);
        ErrorRecord? failure = null;
        if (Name is null && FindRunningProxy(job.Name) is { } sameDefaultName)
            failure = ProxyStartErrors.ProxyNameInUse(job.Name, sameDefaultName, nameGiven: false);

        if (failure is null)
        {
            try
            {
                job.Start(options);
            }
            catch (Exception e)
            {
                failure = MapStartFailure(e, options);
            }
        }

        if (failure is not null)
        {
            job.Dispose();
            ThrowTerminatingError(failure);
        }

        JobRepository.Add(job);
        job.StopWhenRunspaceCloses(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
        ReportStart(options, job.ListenEndPoints, job.EffectiveMaxConnections, job.DescriptorLimit);
        WriteObject(job);
    }

    private void RunInForeground(ProxyOptions options)
    {
        // In the foreground the limit bounds the backlog the pipeline has not consumed yet; at least
        // one slot, or -HistoryLimit 0 would silently swallow everything.
        using var observer = new ForegroundObserver(Math.Max(HistoryLimit, 1));
        try
        {
            _foregroundServer = ProxyServer.Start(options, observer);
        }
        catch (Exception e)
        {
            ThrowTerminatingError(MapStartFailure(e, options));
        }

        ReportStart(options, _foregroundServer!.ListenEndPoints.Select(ProxyEndpoint.Format).ToArray(),
            _foregroundServer.EffectiveMaxConnections, _foregroundServer.DescriptorLimit);
        WriteVerbose("Press Ctrl+C to stop.");
        try
        {
            long warnedDrops = 0;
            while (observer.TryTake(out object? item, _stopping.Token))
            {
                switch (item)
                {
                    case ConnectionStatistics statistics:
                        WriteObject(statistics);
                        ErrorRecord? error = ConnectionErrorRecords.TryCreate(statistics);
                        if (error is not null) WriteError(error);
                        break;
                    case Exception fault:
                        ThrowTerminatingError(new ErrorRecord(fault, "ProxyEngineFaulted", ErrorCategory.NotSpecified, options.Name));
                        break;
                }

                long drops = observer.DroppedCount;
                if (drops != warnedDrops)
                {
                    WriteWarning($"{drops - warnedDrops} connection statistics were dropped because the pipeline read them more slowly than connections closed (-HistoryLimit {HistoryLimit}).");
                    warnedDrops = drops;
                }
            }
        }
        finally
        {
            // Ctrl+C, a downstream Select-Object -First, or an engine fault: drain and close either way,
            // before the observer is disposed under the engine's late callbacks.
            _foregroundServer.Stop();
        }
    }

    // Says where the proxy listens and, when the process's descriptor limit caps the connections it can
    // hold, by how much: a proxy that silently serves fewer clients than asked is worse than a warning.
    private void ReportStart(ProxyOptions options, string[] listening, int effectiveMaxConnections, long descriptorLimit)
    {
        WriteVerbose($"Proxy '{options.Name}' listening on {string.Join(", ", listening)}, forwarding to {options.Target}; " +
            $"up to {effectiveMaxConnections} connections at once (descriptor limit {descriptorLimit}).");
        if (effectiveMaxConnections < options.MaxConnections)
            WriteWarning($"Proxy '{options.Name}' can hold {effectiveMaxConnections} connections at once, not MaxConnections {options.MaxConnections}: " +
                $"this process may open {descriptorLimit} descriptors (ulimit -n) and keeps some for PowerShell itself; each connection needs 2, " +
                "plus 2 per pipe. Further clients wait in the listen backlog. Raise the limit (ulimit -n, LimitNOFILE=) to serve more.");
    }

    private ProxyOptions BuildOptions(List<ProxyEndpoint> listen, ProxyEndpoint target, string name)
    {
        var defaults = new ProxyOptions(listen, target);
        return new ProxyOptions(listen, target)
        {
            Name = name,
            CopyMode = Pick(nameof(CopyMode), CopyMode, defaults.CopyMode),
            Engine = Pick(nameof(Engine), Engine, defaults.Engine),
            MaxConnections = Pick(nameof(MaxConnections), MaxConnections, defaults.MaxConnections),
            ListenBacklog = Pick(nameof(ListenBacklog), ListenBacklog, defaults.ListenBacklog),
            ConnectTimeout = Pick(nameof(ConnectTimeout), ConnectTimeout, defaults.ConnectTimeout),
            IdleTimeout = Pick(nameof(IdleTimeout), IdleTimeout, defaults.IdleTimeout),
            HalfCloseTimeout = Pick(nameof(HalfCloseTimeout), HalfCloseTimeout, defaults.HalfCloseTimeout),
            DrainTimeout = Pick(nameof(DrainTimeout), DrainTimeout, defaults.DrainTimeout),
            // Both sizes were range-checked at binding (ValidateByteSize), so they fit an int.
            PipeSizeBytes = Pick(nameof(PipeSize), (int)PipeSize, defaults.PipeSizeBytes),
            MaxPipes = Pick(nameof(MaxPipes), MaxPipes, defaults.MaxPipes),
            BufferSizeBytes = Pick(nameof(BufferSize), (int)BufferSize, defaults.BufferSizeBytes),
            EventLoopCount = Pick(nameof(EventLoopCount), EventLoopCount, defaults.EventLoopCount),
            UnixSocketMode = Pick(nameof(UnixSocketMode), UnixSocketMode, defaults.UnixSocketMode),
        };
    }

    private T Pick<T>(string parameterName, T value, T engineDefault) =>
        MyInvocation.BoundParameters.ContainsKey(parameterName) ? value : engineDefault;

    // A foreground proxy is not in the job repository, so its name only has to be recognisable in statistics.
    private static string ForegroundName() =>
        "zcproxy-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)
        + "-" + Guid.NewGuid().ToString("N")[..6];

    private ProxyEndpoint ParseEndpoint(string text, EndpointRole role)
    {
        try
        {
            return EndpointArgument.Parse(text, role, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(ProxyStartErrors.InvalidEndpoint(e, text, role.ToString()));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    private ZeroCopyProxyJob? FindRunningProxy(string name) =>
        JobRepository.Jobs.OfType<ZeroCopyProxyJob>().FirstOrDefault(j =>
            string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)
            && j.JobStateInfo.State is JobState.NotStarted or JobState.Running or JobState.Stopping);

    private static ErrorRecord MapStartFailure(Exception error, ProxyOptions options) => error switch
    {
        ProxyStartException start => ProxyStartErrors.FromStartException(start, options),
        _ => ProxyStartErrors.StartFailed(error, options),
    };

    // The job's Command shows every option the proxy was started with, as Get-Job | Format-List shows it.
    private string DescribeCommand()
    {
        var text = new System.Text.StringBuilder(MyInvocation.MyCommand.Name);
        foreach (KeyValuePair<string, object> bound in MyInvocation.BoundParameters)
        {
            object value = bound.Value is PSObject wrapped ? wrapped.BaseObject : bound.Value;
            text.Append(" -").Append(bound.Key);
            if (value is SwitchParameter) continue;
            string formatted = value is System.Collections.IEnumerable list and not string
                ? string.Join(",", list.Cast<object>())
                : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            text.Append(' ').Append(formatted.Contains(' ') ? $"'{formatted}'" : formatted);
        }
        return text.ToString();
    }
}
