using System.Net;
using ZeroCopyPS.Engine.Listening;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The Linux engine: N epoll loops, each watching every listening socket (EPOLLEXCLUSIVE) and relaying
/// the connections it accepted, with splice or buffered copies and its own pools. Everything that is
/// not I/O comes from the proxy's <see cref="ProxyRuntime"/> and each connection's <see cref="ConnectionCore"/>.
/// </summary>
internal sealed class EpollEngine : IProxyEngine
{
    private static readonly TimeSpan LoopStopTimeout = TimeSpan.FromSeconds(2);

    private readonly EventLoop[] _loops;
    private readonly RelayContext[] _contexts;
    private readonly PipePool _pipes;
    private readonly List<BoundListener> _bound = new();
    private readonly List<EpollListener> _listeners = new();
    private int _faulted;

    private EpollEngine(ProxyRuntime runtime)
    {
        Runtime = runtime;
        ProxyOptions options = runtime.Options;
        _pipes = new PipePool(options.MaxPipes, options.MaxPipeMemoryBytes,
            new PipeSizeClasses(options.PipeSizeBytes, PipeSizeClasses.ReadPipeMaxSizeBytes()), options.PipeResizerForTests);
        int loopCount = options.EventLoopCount > 0 ? options.EventLoopCount : Environment.ProcessorCount;
        _loops = new EventLoop[loopCount];
        _contexts = new RelayContext[loopCount];
        try
        {
            for (int i = 0; i < loopCount; i++)
            {
                _loops[i] = new EventLoop(i, ReportFault);
                _contexts[i] = new RelayContext(new LoopPipeCache(_pipes), new BufferPool(options.BufferSizeBytes), options.CopyMode, options.AutoSpliceThresholdBytes);
            }
        }
        catch
        {
            DisposeLoops();
            throw;
        }
    }

    public ProxyRuntime Runtime { get; }

    public EngineKind Kind => EngineKind.Epoll;

    public IReadOnlyList<EndPoint> BoundEndPoints { get; private set; } = [];

    public IReadOnlyList<BoundListener> BoundListeners => _bound;

    public static IProxyEngine Start(ProxyRuntime runtime)
    {
        List<BoundListener> bound = ListenSocketFactory.BindAll(runtime.Options);
        EpollEngine? engine = null;
        try
        {
            engine = new EpollEngine(runtime);
            engine._bound.AddRange(bound);
            foreach (BoundListener listener in bound)
            {
                Interop.NativeSocket.SetNonBlocking((int)listener.Socket.Handle);
                foreach (EventLoop loop in engine._loops) engine._listeners.Add(new EpollListener(engine, loop, listener));
            }
            engine.BoundEndPoints = bound.Select(l => l.EndPoint).ToArray();
        }
        catch
        {
            // epoll_create1 or eventfd refused (EMFILE): nothing may stay bound or open.
            foreach (BoundListener listener in bound) listener.Close();
            engine?.DisposeLoops();
            throw;
        }
        foreach (EventLoop loop in engine._loops) loop.Start();
        runtime.Faults.Changed += engine.OnFaultsChanged;
        engine.RunOnLoops(loop =>
        {
            new PoolTrimmer(loop, engine._contexts[loop.Index]).Start();
            foreach (EpollListener l in engine.ListenersOf(loop)) l.Open();
        }, LoopStopTimeout);
        return engine;
    }

    /// <summary>Loop thread of <paramref name="loop"/>: a socket it accepted becomes its connection.</summary>
    public void Adopt(EpollListener listener, EventLoop loop, int fd, EndPoint? client)
    {
        var core = new ConnectionCore(Runtime, Runtime.Counters.NextId(), client, listener.ListenText);
        var connection = new EpollConnection(this, loop, _contexts[loop.Index], core, fd);
        try { connection.Start(); }
        catch (Exception e) { connection.OnFault(e); }
    }

    // Any thread: the proxy's faults changed. Every loop looks at each of its open connections at once
    // (docs/ARCHITECTURE.md, "Fault injection"), idle and held ones included.
    private void OnFaultsChanged()
    {
        foreach (EventLoop loop in _loops)
            loop.Post(() =>
            {
                foreach (IEventHandler handler in loop.AliveHandlers.ToArray())
                    if (handler is EpollConnection connection) connection.OnFaultsChanged();
            });
    }

    /// <summary>Loop thread of the connection: its statistics are final.</summary>
    public void OnConnectionClosed(ConnectionStatistics statistics)
    {
        Runtime.Publish(statistics);
        foreach (EpollListener listener in _listeners) listener.ResumeIfPaused();
    }

    public void ReportFault(Exception error)
    {
        if (Interlocked.Exchange(ref _faulted, 1) == 0) Runtime.ReportFault(error);
    }

    public ProxyStatus GetStatus(bool isRunning) => Runtime.BuildStatus(isRunning, Kind, BoundEndPoints,
        _contexts.Select(c => c.Counters), PipeFigures(), _loops.Length);

    private PipeFigures PipeFigures()
    {
        var bySize = new PipeSizeStatus[_pipes.Classes.Count];
        for (int c = 0; c < bySize.Length; c++)
            bySize[c] = new PipeSizeStatus(_pipes.Classes.Bytes(c), _contexts.Sum(x => x.Pipes.InUseOf(c)), _contexts.Sum(x => x.Pipes.IdleOf(c)));
        return new PipeFigures(bySize.Sum(s => s.InUse), bySize.Sum(s => s.Idle), _pipes.MaxPipes, _pipes.Classes.CapBytes, _pipes.RefusedTooSmall)
        {
            BySize = bySize,
            MemoryBytes = _pipes.Bytes,
            PeakMemoryBytes = _pipes.PeakBytes,
            MaxMemoryBytes = _pipes.MaxBytes,
            Growths = _pipes.Growths,
            GrowthsRefused = _pipes.GrowthsRefused,
            BudgetDenials = _pipes.BudgetDenials,
        };
    }

    // Stop: listeners close at once; open connections get drainTimeout to finish by themselves; the
    // rest are aborted (reset, counted as ProxyStopped); then the loops end and every pipe is closed.
    // Each step runs whatever the one before it did (threw, timed out): a stop that faults still stops.
    public void Stop(TimeSpan drainTimeout)
    {
        if (_loops.Any(l => l.IsOnLoopThread))
            throw new InvalidOperationException("A proxy cannot be stopped from its own engine thread (an observer callback).");
        Runtime.Faults.Changed -= OnFaultsChanged;
        try
        {
            RunOnLoops(loop => { foreach (EpollListener l in ListenersOf(loop)) l.Close(); }, LoopStopTimeout);
            foreach (BoundListener listener in _bound) listener.Close();
            Runtime.Drain(drainTimeout);
        }
        finally
        {
            try
            {
                RunOnLoops(loop =>
                {
                    foreach (IEventHandler handler in loop.AliveHandlers.ToArray())
                        if (handler is EpollConnection connection) connection.Abort();
                }, LoopStopTimeout);
            }
            finally
            {
                DisposeLoops();
                // A loop that faulted or did not answer never let go of the listening sockets: close them
                // from here, so the port and the socket file are released whatever state the loops are in.
                foreach (BoundListener listener in _bound) listener.Close();
                foreach (RelayContext context in _contexts) context?.Pipes.Dispose();
            }
        }
    }

    public void CutDrainShort() => Runtime.CutDrainShort();

    /// <summary>
    /// Bytes allocated so far on the loop threads (GC.GetAllocatedBytesForCurrentThread, asked on each
    /// loop): the measure of "the steady-state copy path allocates nothing" in its regression test.
    /// </summary>
    internal long AllocatedBytesOnLoops()
    {
        long total = 0;
        RunOnLoops(_ => Interlocked.Add(ref total, GC.GetAllocatedBytesForCurrentThread()), LoopStopTimeout);
        return Interlocked.Read(ref total);
    }

    private IEnumerable<EpollListener> ListenersOf(EventLoop loop) => _listeners.Where(l => l.Loop == loop);

    private void DisposeLoops()
    {
        foreach (EventLoop? loop in _loops) loop?.Dispose(LoopStopTimeout);
    }

    // Runs an action on every loop thread and waits for all of them (bounded).
    private void RunOnLoops(Action<EventLoop> action, TimeSpan timeout)
    {
        // Not disposed: after a timeout a late loop may still signal it.
        var done = new CountdownEvent(_loops.Length);
        foreach (EventLoop loop in _loops)
            loop.Post(() =>
            {
                try { action(loop); }
                finally { done.Signal(); }
            });
        done.Wait(timeout);
    }
}
