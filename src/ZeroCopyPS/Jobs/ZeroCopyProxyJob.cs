using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// A running ZeroCopyPS proxy as a PowerShell job: Get-Job, Receive-Job, Wait-Job, Stop-Job and
/// Remove-Job work on it. Each closed connection adds one <see cref="ConnectionStatistics"/> to
/// Output; each failed connection also adds an ErrorRecord to Error. Both streams keep at most
/// <see cref="HistoryLimit"/> unread items, the oldest dropped first, so a proxy nobody reads does not
/// grow without bound. How statistics get there without the engine waiting: docs/ARCHITECTURE.md,
/// "Publishing statistics".
/// </summary>
public sealed class ZeroCopyProxyJob : Job
{
    /// <summary>Items kept per stream when nobody reads the job.</summary>
    public const int DefaultHistoryLimit = 10_000;

    /// <summary>The job's PSJobTypeName: short enough for Get-Job's 15-character column, like ThreadJob.</summary>
    public const string JobTypeName = "ZeroCopyProxy";

    // Held across start/stop/fault/dispose so that state changes happen in one order only.
    // Never taken on an engine thread: the engine's Stop joins those threads.
    private readonly object _lifecycleLock = new();

    // One consumer of the hand-off at a time (the thread-pool delivery or a stop's final one). Engine threads never take it.
    private readonly object _deliveryLock = new();

    private readonly HistoryStream<PSObject> _output;
    private readonly HistoryStream<ErrorRecord> _error;
    private readonly HistoryStream<InformationRecord> _information;
    private readonly DenialRecordLimiter _denials = new();
    private readonly ConnectionHandOff _handOff;
    private readonly Action<ConnectionStatistics> _countDropped;
    private ProxyServer? _server;
    private ProxyServiceResources _service = ProxyServiceResources.None;
    private ProxyStatus? _finalStatus;
    private DateTimeOffset? _stoppedAt;
    private long _droppedStatistics;
    private long _droppedErrors;
    private long _closedByStop;
    private bool _disposed;
    private RunspaceTie? _runspaceTie;

    internal ZeroCopyProxyJob(string command, string? name, int historyLimit)
        : base(command, name)
    {
        PSJobTypeName = JobTypeName;
        // The job id is unique in the process, so the default name is too.
        if (string.IsNullOrEmpty(name)) Name = "zcproxy" + Id.ToString(CultureInfo.InvariantCulture);
        HistoryLimit = historyLimit;
        Output = _output = new HistoryStream<PSObject>(historyLimit);
        Error = _error = new HistoryStream<ErrorRecord>(historyLimit);
        Information = _information = new HistoryStream<InformationRecord>(Math.Max(historyLimit, 1));
        _handOff = new ConnectionHandOff(ConnectionHandOff.JobCapacity, Deliver);
        _countDropped = CountDropped;
    }

    /// <summary>The proxy's name (the job's <c>Name</c>); statistics carry it as <c>ProxyName</c>.</summary>
    public string ProxyName => Name;

    /// <summary>The addresses the proxy listens on, with port 0 resolved to the port the kernel chose.</summary>
    public string[] ListenEndPoints { get; private set; } = Array.Empty<string>();

    /// <summary>The targets, comma separated, each with its weight and backup role when not the default (Set-ZeroCopyProxy changes them).</summary>
    public string Target { get; internal set; } = "";

    /// <summary>The copy mode the proxy was started with.</summary>
    public CopyMode CopyMode { get; private set; }

    /// <summary>The engine that drives the sockets (Auto resolved).</summary>
    public EngineKind Engine { get; private set; }

    /// <summary>The access log and metrics endpoint the job owns (Get-ZeroCopyProxy reports them).</summary>
    internal ProxyServiceResources Service => _service;

    /// <summary>
    /// Reopens the access log at its path after logrotate moved the file, as SIGHUP does for every log of the process.
    /// False when that failed within 2 s (Get-ZeroCopyProxy's LogError says why); throws InvalidOperationException without -LogPath.
    /// </summary>
    public bool ReopenLog() => _service.ReopenLog(Name);

    /// <summary>How long a stop lets open connections finish, unless Stop-ZeroCopyProxy says otherwise.</summary>
    public TimeSpan DrainTimeout { get; private set; }

    /// <summary>At most this many statistics (and, separately, error records) are kept unread.</summary>
    public int HistoryLimit { get; }

    /// <summary>Statistics dropped, oldest first, because more than <see cref="HistoryLimit"/> were unread.</summary>
    public long DroppedStatisticsCount => _output.Dropped + Interlocked.Read(ref _droppedStatistics);

    /// <summary>Error records dropped, oldest first, because more than <see cref="HistoryLimit"/> were unread.</summary>
    public long DroppedErrorCount => _error.Dropped + Interlocked.Read(ref _droppedErrors);

    /// <summary>The listen endpoints, comma separated: where the job "runs", in Get-Job's Location column.</summary>
    public override string Location => string.Join(", ", ListenEndPoints);

    public override bool HasMoreData => _output.Count > 0 || _error.Count > 0 || _information.Count > 0 || _handOff.Waiting > 0;

    public override string StatusMessage
    {
        get
        {
            ProxyStatus? status = GetEngineStatus();
            if (status is null) return JobStateInfo.State.ToString();
            string counts = $"{status.ActiveConnections} active, {status.TotalConnections} total";
            return status.FailedConnections > 0 ? $"{counts}, {status.FailedConnections} failed" : counts;
        }
    }

    /// <summary>"web (Id 3, ZeroCopyProxy, Running): 127.0.0.1:8080 -> db:5432", what "$job" prints.</summary>
    public override string ToString() =>
        $"{Name} (Id {Id.ToString(CultureInfo.InvariantCulture)}, {JobTypeName}, {JobStateInfo.State}): {Location} -> {Target}";

    /// <summary>Closes the listeners, lets open connections finish for the drain timeout, then resets them. Synchronous, bounded, idempotent.</summary>
    public override void StopJob() => Stop(null, null);

    /// <summary>
    /// Binds the listeners and starts serving; throws <see cref="ProxyStartException"/> with nothing left bound.
    /// Once started, the job owns <paramref name="service"/> and disposes it after the proxy stopped.
    /// </summary>
    internal void Start(ProxyOptions options, ProxyServiceResources service)
    {
        lock (_lifecycleLock)
        {
            Target = TargetList.Describe(options.Targets);
            CopyMode = options.CopyMode;
            DrainTimeout = options.DrainTimeout;
            _server = ProxyServer.Start(options, new ProxyJobObserver(this));
            _service = service;
            // The next instance took the listeners over -HandOverPath: stop with the drain (a thread-pool callback).
            _server.ListenersHandedOver.Register(() => Stop(null, null));
            Engine = _server.Engine;
            ListenEndPoints = _server.ListenEndPoints.Select(ProxyEndpoint.Format).ToArray();
            SetJobState(JobState.Running);
        }
    }

    /// <summary>Stops with <paramref name="drainTimeout"/> (null: the proxy's own), telling <paramref name="report"/> what it waits for and how it ended.</summary>
    internal void Stop(TimeSpan? drainTimeout, Action<string>? report)
    {
        lock (_lifecycleLock)
        {
            if (_disposed || IsFinished) return;
            SetJobState(JobState.Stopping);
            Exception? failure = JobStopper.Stop(this, _server, drainTimeout ?? DrainTimeout, report, out ProxyStatus? final);
            Volatile.Write(ref _finalStatus, final);
            _stoppedAt = DateTimeOffset.Now;
            Deliver();   // everything the engine reported during the stop is readable once the state says Stopped
            _service.Dispose();   // after the stop: the drain's records are in the log before it closes
            if (failure is not null) AddFault(failure);
            SetJobState(JobState.Stopped);
        }
    }

    /// <summary>The engine while the proxy runs, for Get- and Stop-ZeroCopyConnection; null once it stopped.</summary>
    internal ProxyServer? RunningServer => JobStateInfo.State == JobState.Running ? Volatile.Read(ref _server) : null;

    /// <summary>Thread pool (ProxyJobObserver): a target state change for the Information stream, kept like the other streams.</summary>
    internal void AddInformation(InformationRecord record)
    {
        if (HistoryLimit > 0) _information.TryAdd(record);
    }

    /// <summary>Connections the proxy can hold at once, as the descriptor limit allowed when it started.</summary>
    internal int EffectiveMaxConnections => _server?.EffectiveMaxConnections ?? 0;

    /// <summary>The process's descriptor limit when the proxy started.</summary>
    internal long DescriptorLimit => _server?.DescriptorLimit ?? 0;

    /// <summary>Connections closed by the proxy's stop (the drain ran out): counted on engine threads, lock-free.</summary>
    internal long ClosedByStop => Interlocked.Read(ref _closedByStop);

    /// <summary>Stops the proxy at once when <paramref name="runspace"/> closes (see <see cref="RunspaceTie"/>).</summary>
    internal void StopWhenRunspaceCloses(Runspace? runspace) => _runspaceTie = RunspaceTie.Attach(runspace, OnRunspaceClosing);

    /// <summary>A snapshot for Get-ZeroCopyProxy: live while running, the final counters once stopped.</summary>
    internal ZeroCopyProxyStatus GetStatus() => new(this, GetEngineStatus(), _stoppedAt);

    /// <summary>Engine thread (ProxyJobObserver): hands the statistics over without waiting for anything.</summary>
    internal void Publish(ConnectionStatistics statistics)
    {
        if (statistics.CloseReason == CloseReason.ProxyStopped) Interlocked.Increment(ref _closedByStop);
        if (HistoryLimit == 0) CountDropped(statistics);
        else _handOff.Add(statistics, _countDropped);
    }

    /// <summary>Engine thread: the stop below joins engine threads, so it runs on the thread pool.</summary>
    internal void OnEngineFaulted(Exception error) => ThreadPool.QueueUserWorkItem(_ => Fault(error));

    private bool IsFinished => JobStateInfo.State is JobState.Stopped or JobState.Failed or JobState.Completed;

    private void OnRunspaceClosing()
    {
        lock (_lifecycleLock)
        {
            if (_disposed || IsFinished) return;
            StopNow();
            SetJobState(JobState.Stopped);
        }
    }

    private ProxyStatus? GetEngineStatus()
    {
        if (Volatile.Read(ref _finalStatus) is { } final) return final;
        try { return Volatile.Read(ref _server)?.GetStatus(); }
        catch (ObjectDisposedException) { return null; }
    }

    /// <summary>Stops with no drain (open connections reset), keeping the last counters; returns what went wrong.</summary>
    private Exception? StopNow()
    {
        Exception? failure = JobStopper.Stop(this, _server, TimeSpan.Zero, null, out ProxyStatus? final);
        if (final is not null) Volatile.Write(ref _finalStatus, final);
        _stoppedAt ??= DateTimeOffset.Now;
        Deliver();
        _service.Dispose();
        return failure;
    }

    // The hand-off's consumer (thread pool, or a stop): statistics to Output, failures to Error.
    private void Deliver()
    {
        lock (_deliveryLock)
        {
            while (_handOff.TryTake(out ConnectionStatistics? statistics))
            {
                if (!_output.TryAdd(PSObject.AsPSObject(statistics)))
                {
                    CountDropped(statistics!);
                    continue;
                }
                // A scan of denied clients must not flood the job: one record per interval, with the count held back.
                ErrorRecord? error = statistics!.CloseReason == CloseReason.Denied
                    ? _denials.Next(statistics, DateTimeOffset.UtcNow)
                    : ConnectionErrorRecords.TryCreate(statistics);
                if (error is not null && !_error.TryAdd(error)) Interlocked.Increment(ref _droppedErrors);
            }
        }
    }

    private void CountDropped(ConnectionStatistics statistics)
    {
        Interlocked.Increment(ref _droppedStatistics);
        if (ConnectionErrorRecords.IsFailure(statistics.CloseReason)) Interlocked.Increment(ref _droppedErrors);
    }

    /// <summary>
    /// The one record that explains why the proxy stopped serving: never dropped, whatever the history limit,
    /// because a plain Job cannot carry it in JobStateInfo.Reason (that overload of SetJobState is internal to PowerShell).
    /// </summary>
    private void AddFault(Exception error)
    {
        try
        {
            _error.AddKeepingAll(ConnectionErrorRecords.EngineFaulted(error, Name, this));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _droppedErrors);
        }
    }

    private void Fault(Exception error)
    {
        lock (_lifecycleLock)
        {
            if (_disposed || IsFinished) return;
            AddFault(error);
            StopNow();
            SetJobState(JobState.Failed);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lifecycleLock)
            {
                if (!_disposed)
                {
                    _runspaceTie?.Dispose();
                    // Remove-Job -Force has already drained via StopJob; a direct Dispose closes at once.
                    if (_finalStatus is null) StopNow();
                    JobStopper.Dispose(_server);
                    if (!IsFinished && JobStateInfo.State != JobState.NotStarted) SetJobState(JobState.Stopped);
                    _disposed = true;
                }
            }
        }

        base.Dispose(disposing);
    }
}
