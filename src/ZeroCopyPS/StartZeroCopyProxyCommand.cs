using System.Management.Automation;
using ZeroCopyPS.Engine.Copy;
using ZeroCopyPS.Engine.Proxy;

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
    private const string JobSet = "Job";
    private const string WaitSet = "Wait";

    private readonly CancellationTokenSource _stopping = new();
    private ProxyServer? _foregroundServer;

    /// <summary>Where to accept connections: PORT (every interface), HOST:PORT, [IPv6]:PORT, unix:/path, unix:@name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string[] Listen { get; set; } = Array.Empty<string>();

    /// <summary>Where to forward each connection: HOST:PORT, [IPv6]:PORT, unix:/path, unix:@name.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string Target { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    public CopyMode CopyMode { get; set; } = CopyMode.Auto;

    [Parameter]
    public EngineKind Engine { get; set; } = EngineKind.Auto;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxConnections { get; set; } = 10_000;

    [Parameter]
    [ValidateRange(1, 65535)]
    public int ListenBacklog { get; set; } = 511;

    /// <summary>A number is seconds; a TimeSpan or '00:00:10' works too.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(AllowZero = false)]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Zero disables.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(AllowZero = true)]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Zero disables.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(AllowZero = true)]
    public TimeSpan HalfCloseTimeout { get; set; } = TimeSpan.FromMinutes(1);

    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(AllowZero = true)]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pipe capacity in bytes; 0 keeps the kernel default.</summary>
    [Parameter]
    [ValidateRange(0, 256 * 1024 * 1024)]
    public int PipeSize { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxPipes { get; set; } = 512;

    /// <summary>User-space buffer per buffered direction, in bytes.</summary>
    [Parameter]
    [ValidateRange(1024, 16 * 1024 * 1024)]
    public int BufferSize { get; set; } = 64 * 1024;

    /// <summary>0 means one per processor.</summary>
    [Parameter]
    [ValidateRange(0, 256)]
    public int EventLoopCount { get; set; }

    /// <summary>Unread statistics (and, separately, unread errors) kept at most; the oldest go first.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int HistoryLimit { get; set; } = ZeroCopyProxyJob.DefaultHistoryLimit;

    [Parameter(Mandatory = true, ParameterSetName = WaitSet)]
    public SwitchParameter Wait { get; set; }

    protected override void ProcessRecord()
    {
        ProxyOptions options = BuildOptions(Name ?? "");
        if (Wait) RunInForeground(options);
        else StartJob(options);
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _foregroundServer?.Dispose();
        _stopping.Dispose();
    }

    private void StartJob(ProxyOptions options)
    {
        if (Name is not null) ThrowIfNameInUse(Name);
        var job = new ZeroCopyProxyJob(DescribeCommand(), Name, HistoryLimit);
        if (Name is null) ThrowIfNameInUse(job.Name);
        options = WithName(options, job.Name);
        try
        {
            job.Start(options);
        }
        catch (Exception e)
        {
            job.Dispose();
            ThrowTerminatingError(MapStartFailure(e, options));
        }

        JobRepository.Add(job);
        WriteObject(job);
    }

    private void RunInForeground(ProxyOptions options)
    {
        if (string.IsNullOrEmpty(options.Name))
            options = WithName(options, "zcproxy-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6]);
        using var observer = new ForegroundObserver(HistoryLimit);
        try
        {
            _foregroundServer = ProxyServer.Start(options, observer);
        }
        catch (Exception e)
        {
            ThrowTerminatingError(MapStartFailure(e, options));
        }

        WriteVerbose($"Proxy '{options.Name}' listening on {string.Join(", ", _foregroundServer!.ListenEndPoints.Select(ProxyEndpoint.Format))}, forwarding to {options.Target}. Press Ctrl+C to stop.");
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

    private ProxyOptions BuildOptions(string name)
    {
        var listen = new List<ProxyEndpoint>(Listen.Length);
        foreach (string text in Listen) listen.Add(ParseEndpoint(text, nameof(Listen)));
        ProxyEndpoint target = ParseEndpoint(Target, nameof(Target));
        return new ProxyOptions(listen, target)
        {
            Name = name,
            CopyMode = CopyMode,
            Engine = Engine,
            MaxConnections = MaxConnections,
            ListenBacklog = ListenBacklog,
            ConnectTimeout = ConnectTimeout,
            IdleTimeout = IdleTimeout,
            HalfCloseTimeout = HalfCloseTimeout,
            DrainTimeout = DrainTimeout,
            PipeSizeBytes = PipeSize,
            MaxPipes = MaxPipes,
            BufferSizeBytes = BufferSize,
            EventLoopCount = EventLoopCount,
        };
    }

    private static ProxyOptions WithName(ProxyOptions o, string name) => new(o.Listen, o.Target)
    {
        Name = name,
        CopyMode = o.CopyMode,
        Engine = o.Engine,
        MaxConnections = o.MaxConnections,
        ListenBacklog = o.ListenBacklog,
        ConnectTimeout = o.ConnectTimeout,
        IdleTimeout = o.IdleTimeout,
        HalfCloseTimeout = o.HalfCloseTimeout,
        DrainTimeout = o.DrainTimeout,
        PipeSizeBytes = o.PipeSizeBytes,
        MaxPipes = o.MaxPipes,
        BufferSizeBytes = o.BufferSizeBytes,
        AutoSpliceThresholdBytes = o.AutoSpliceThresholdBytes,
        EventLoopCount = o.EventLoopCount,
    };

    private ProxyEndpoint ParseEndpoint(string text, string parameterName)
    {
        try
        {
            return ProxyEndpoint.Parse(text);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(ProxyStartErrors.InvalidEndpoint(e, text, parameterName));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    private void ThrowIfNameInUse(string name)
    {
        ZeroCopyProxyJob? existing = JobRepository.Jobs.OfType<ZeroCopyProxyJob>().FirstOrDefault(j =>
            string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)
            && j.JobStateInfo.State is JobState.NotStarted or JobState.Running or JobState.Stopping);
        if (existing is not null) ThrowTerminatingError(ProxyStartErrors.ProxyNameInUse(name, existing));
    }

    private static ErrorRecord MapStartFailure(Exception error, ProxyOptions options) => error switch
    {
        ProxyStartException start => ProxyStartErrors.FromStartException(start, options),
        _ => ProxyStartErrors.StartFailed(error, options),
    };

    private string DescribeCommand() =>
        $"{MyInvocation.MyCommand.Name} -Listen {string.Join(",", Listen)} -Target {Target}";
}
