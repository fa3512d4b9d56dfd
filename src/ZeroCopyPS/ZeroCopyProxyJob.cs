using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// A running ZeroCopyPS proxy as a PowerShell job: Get-Job, Receive-Job, Wait-Job, Stop-Job and
/// Remove-Job work on it. Each closed connection adds one <see cref="ConnectionStatistics"/> to
/// Output; each failed connection also adds an ErrorRecord to Error. Both streams keep at most
/// <see cref="HistoryLimit"/> items, so a proxy nobody reads does not grow without bound.
/// </summary>
public sealed class ZeroCopyProxyJob : Job
{
    /// <summary>Items kept per stream when nobody reads the job.</summary>
    public const int DefaultHistoryLimit = 10_000;

    internal const string JobTypeName = "ZeroCopyProxyJob";

    // Held across start/stop/fault/dispose so that state changes happen in one order only.
    // Never taken on an engine thread: the engine's Stop joins those threads.
    private readonly object _lifecycleLock = new();

    // Makes "drop the oldest, then add" atomic against other engine threads.
    private readonly object _historyLock = new();

    private ProxyServer? _server;
    private ProxyStatus? _finalStatus;
    private DateTimeOffset? _stoppedAt;
    private long _droppedStatistics;
    private long _droppedErrors;
    private bool _disposed;
    private System.Management.Automation.Runspaces.Runspace? _runspace;

    internal ZeroCopyProxyJob(string command, string? name, int historyLimit)
        : base(command, name)
    {
        PSJobTypeName = JobTypeName;
        if (string.IsNullOrEmpty(name))
        {
            // The job id is unique in the process, so the default name is too.
            Name = "zcproxy" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        HistoryLimit = historyLimit;
    }

    /// <summary>The proxy's name (the job's <c>Name</c>); statistics carry it as <c>ProxyName</c>.</summary>
    public string ProxyName => Name;

    /// <summary>The addresses the proxy listens on, with port 0 resolved to the port the kernel chose.</summary>
    public string[] ListenEndPoints { get; private set; } = Array.Empty<string>();

    /// <summary>The target as the user wrote it.</summary>
    public string Target { get; private set; } = "";

    /// <summary>The copy mode the proxy was started with.</summary>
    public CopyMode CopyMode { get; private set; }

    /// <summary>The engine that drives the sockets (Auto resolved).</summary>
    public EngineKind Engine { get; private set; }

    /// <summary>At most this many statistics (and, separately, error records) are kept unread.</summary>
    public int HistoryLimit { get; }

    /// <summary>Statistics dropped, oldest first, because more than <see cref="HistoryLimit"/> were unread.</summary>
    public long DroppedStatisticsCount => Interlocked.Read(ref _droppedStatistics);

    /// <summary>Error records dropped, oldest first, because more than <see cref="HistoryLimit"/> were unread.</summary>
    public long DroppedErrorCount => Interlocked.Read(ref _droppedErrors);

    /// <summary>The listen endpoints, comma separated.</summary>
    public override string Location => string.Join(", ", ListenEndPoints);

    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0;

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

    /// <summary>
    /// Closes the listeners, lets open connections finish for the proxy's drain timeout, then closes
    /// them. Synchronous, bounded and idempotent: a second caller waits for the first stop to finish.
    /// </summary>
    public override void StopJob()
    {
        lock (_lifecycleLock)
        {
            if (_disposed || IsFinished) return;
            SetJobState(JobState.Stopping);
            Exception? failure = StopServer(drain: true);
            if (failure is not null) AddFault(failure);
            SetJobState(JobState.Stopped);
        }
    }

    /// <summary>Binds the listeners and starts serving; throws <see cref="ProxyStartException"/> with nothing left bound.</summary>
    internal void Start(ProxyOptions options)
    {
        lock (_lifecycleLock)
        {
            Target = options.Target.Text;
            CopyMode = options.CopyMode;
            _server = ProxyServer.Start(options, new Observer(this));
            Engine = _server.Engine;
            ListenEndPoints = _server.ListenEndPoints.Select(ProxyEndpoint.Format).ToArray();
            SetJobState(JobState.Running);
        }
    }

    /// <summary>Connections the proxy can hold at once, as the descriptor limit allowed when it started.</summary>
    internal int EffectiveMaxConnections => _server?.EffectiveMaxConnections ?? 0;

    /// <summary>The process's descriptor limit when the proxy started.</summary>
    internal long DescriptorLimit => _server?.DescriptorLimit ?? 0;

    /// <summary>
    /// Ties the proxy to the runspace whose job repository holds it: when that runspace closes
    /// (a [powershell] instance disposed, a thread job's runspace ending), nothing could reach the
    /// proxy any more, so it stops at once (open connections reset) instead of serving unseen.
    /// </summary>
    internal void StopWhenRunspaceCloses(System.Management.Automation.Runspaces.Runspace? runspace)
    {
        if (runspace is null) return;
        _runspace = runspace;
        runspace.StateChanged += OnRunspaceStateChanged;
    }

    private void OnRunspaceStateChanged(object? sender, System.Management.Automation.Runspaces.RunspaceStateEventArgs e)
    {
        if (e.RunspaceStateInfo.State is not (System.Management.Automation.Runspaces.RunspaceState.Closing
            or System.Management.Automation.Runspaces.RunspaceState.Closed
            or System.Management.Automation.Runspaces.RunspaceState.Broken)) return;
        lock (_lifecycleLock)
        {
            if (_disposed || IsFinished) return;
            StopServer(drain: false);
            SetJobState(JobState.Stopped);
        }
    }

    /// <summary>A snapshot for Get-ZeroCopyProxy: live while running, the final counters once stopped.</summary>
    internal ZeroCopyProxyStatus GetStatus() => new(this, GetEngineStatus(), _stoppedAt);

    private bool IsFinished => JobStateInfo.State is JobState.Stopped or JobState.Failed or JobState.Completed;

    private ProxyStatus? GetEngineStatus()
    {
        ProxyStatus? final = Volatile.Read(ref _finalStatus);
        if (final is not null) return final;
        ProxyServer? server = Volatile.Read(ref _server);
        try
        {
            return server?.GetStatus();
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Stops the engine once, keeping its last counters; returns what went wrong, if anything.</summary>
    private Exception? StopServer(bool drain)
    {
        ProxyServer? server = _server;
        if (server is null || _finalStatus is not null) return null;
        Exception? failure = null;
        try
        {
            if (drain) server.Stop(); else server.Stop(TimeSpan.Zero);
        }
        catch (Exception e)
        {
            failure = e;
        }

        try
        {
            Volatile.Write(ref _finalStatus, server.GetStatus());
        }
        catch (Exception e)
        {
            failure ??= e;
        }

        _stoppedAt = DateTimeOffset.Now;
        return failure;
    }

    private void OnConnectionClosed(ConnectionStatistics statistics)
    {
        if (!AddBounded(Output, PSObject.AsPSObject(statistics), ref _droppedStatistics))
            return;
        ErrorRecord? error = ConnectionErrorRecords.TryCreate(statistics);
        if (error is not null) AddError(error);
    }

    private void AddError(ErrorRecord error) => AddBounded(Error, error, ref _droppedErrors);

    /// <summary>
    /// The one record that explains why the proxy stopped serving: never dropped, whatever the
    /// history limit, because a plain Job cannot carry it in JobStateInfo.Reason (that overload of
    /// SetJobState is internal to PowerShell).
    /// </summary>
    private void AddFault(Exception error)
    {
        var record = new ErrorRecord(error, "ProxyEngineFaulted", ErrorCategory.NotSpecified, this)
        {
            ErrorDetails = new ErrorDetails($"Proxy '{Name}' stopped serving: {error.Message}"),
        };
        lock (_historyLock)
        {
            try
            {
                Error.Add(record);
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _droppedErrors);
            }
        }
    }

    /// <summary>Adds an item, first dropping the oldest ones past the limit. False when the stream is closed.</summary>
    private bool AddBounded<T>(PSDataCollection<T> stream, T item, ref long dropped)
    {
        lock (_historyLock)
        {
            try
            {
                if (HistoryLimit == 0)
                {
                    Interlocked.Increment(ref dropped);
                    return true;
                }

                while (stream.Count >= HistoryLimit)
                {
                    try
                    {
                        stream.RemoveAt(0);
                    }
                    catch (ArgumentOutOfRangeException)
                    {
                        // Receive-Job emptied the stream between Count and RemoveAt: nothing left to drop.
                        break;
                    }

                    Interlocked.Increment(ref dropped);
                }

                stream.Add(item);
                return true;
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // The job finished (its streams are completed) or was disposed while a late connection closed.
                Interlocked.Increment(ref dropped);
                return false;
            }
        }
    }

    private void OnEngineFaulted(Exception error)
    {
        // Engine thread: the stop below joins engine threads, so it must run elsewhere.
        ThreadPool.QueueUserWorkItem(_ => Fault(error));
    }

    private void Fault(Exception error)
    {
        lock (_lifecycleLock)
        {
            if (_disposed || IsFinished) return;
            AddFault(error);
            StopServer(drain: false);
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
                    if (_runspace is not null) _runspace.StateChanged -= OnRunspaceStateChanged;
                    // Remove-Job -Force has already drained via StopJob; a direct Dispose closes at once.
                    StopServer(drain: false);
                    try
                    {
                        _server?.Dispose();
                    }
                    catch (Exception)
                    {
                        // Disposing must not throw; the engine already reported what it could.
                    }

                    if (!IsFinished && JobStateInfo.State != JobState.NotStarted)
                        SetJobState(JobState.Stopped);
                    _disposed = true;
                }
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Keeps the observer callbacks off the job's public surface.</summary>
    private sealed class Observer : IProxyObserver
    {
        private readonly ZeroCopyProxyJob _job;

        public Observer(ZeroCopyProxyJob job) => _job = job;

        public void OnConnectionClosed(ConnectionStatistics statistics)
        {
            try
            {
                _job.OnConnectionClosed(statistics);
            }
            catch (Exception)
            {
                // The engine's contract: observers never throw. A lost statistic is the lesser harm.
            }
        }

        public void OnEngineFaulted(Exception error)
        {
            try
            {
                _job.OnEngineFaulted(error);
            }
            catch (Exception)
            {
                // Same contract as above.
            }
        }
    }
}
