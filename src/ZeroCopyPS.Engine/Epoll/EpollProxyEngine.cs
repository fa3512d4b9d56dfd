using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Copy;
using ZeroCopyPS.Engine.Proxy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The Linux engine: listeners on loop 0, connections spread over N epoll loops, splice or buffered
/// relays on those loops. Owns the loops, the pools and the counters that outlive a connection.
/// </summary>
internal sealed class EpollProxyEngine : IProxyEngine
{
    private static readonly TimeSpan LoopStopTimeout = TimeSpan.FromSeconds(2);

    private readonly IProxyObserver _observer;
    private readonly EventLoop[] _loops;
    private readonly RelayContext[] _contexts;
    private readonly PipePool _pipes;
    private readonly List<EpollListener> _listeners = new();
    private readonly ManualResetEventSlim _drained = new(false);
    private readonly ManualResetEventSlim _drainCut = new(false);
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private long _activeConnections;
    private long _totalConnections;
    private long _failedConnections;
    private long _refusedConnections;
    private int _nextLoop;
    private volatile bool _draining;
    private int _faulted;

    private EpollProxyEngine(ProxyOptions options, IProxyObserver observer)
    {
        Options = options;
        _observer = observer;
        Resolver = new TargetResolver(options.Target);
        _pipes = new PipePool(options.MaxPipes, options.PipeSizeBytes);
        var buffers = new BufferPool(options.BufferSizeBytes, maxIdle: 64);
        int loopCount = options.EventLoopCount > 0 ? options.EventLoopCount : Environment.ProcessorCount;
        _loops = new EventLoop[loopCount];
        _contexts = new RelayContext[loopCount];
        try
        {
            for (int i = 0; i < loopCount; i++)
            {
                _loops[i] = new EventLoop(i, ReportFault);
                _contexts[i] = new RelayContext(_pipes, buffers, options.CopyMode, options.AutoSpliceThresholdBytes);
            }
        }
        catch
        {
            DisposeLoops();
            throw;
        }
    }

    public ProxyOptions Options { get; }

    public TargetResolver Resolver { get; }

    public EngineKind Kind => EngineKind.Epoll;

    public IReadOnlyList<EndPoint> BoundEndPoints { get; private set; } = [];

    public static IProxyEngine Start(ProxyOptions options, IProxyObserver observer)
    {
        List<BoundListener> bound = ListenSocketFactory.BindAll(options);
        EpollProxyEngine? engine = null;
        try
        {
            engine = new EpollProxyEngine(options, observer);
            foreach (BoundListener listener in bound)
                engine._listeners.Add(new EpollListener(engine, engine._loops[0], listener));
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
        engine.RunOnLoops(loop => { if (loop.Index == 0) foreach (EpollListener l in engine._listeners) l.Open(); }, LoopStopTimeout);
        return engine;
    }

    /// <summary>
    /// Counts a connection against MaxConnections and reserves its descriptors before it is accepted;
    /// false at either limit (accepting then pauses).
    /// </summary>
    public bool TryReserveConnection()
    {
        if (_draining) return false;
        if (Interlocked.Increment(ref _activeConnections) <= Options.MaxConnections && DescriptorBudget.TryReserve(DescriptorBudget.PerConnection))
            return true;
        Interlocked.Decrement(ref _activeConnections);
        return false;
    }

    public void ReleaseReservation()
    {
        DescriptorBudget.Release(DescriptorBudget.PerConnection);
        Interlocked.Decrement(ref _activeConnections);
    }

    /// <summary>A pending client was reset because the process had no descriptor left for it.</summary>
    public void CountRefused() => Interlocked.Increment(ref _refusedConnections);

    /// <summary>Listener thread: gives an accepted descriptor to the next loop.</summary>
    public void Dispatch(EpollListener listener, int fd, EndPoint? client)
    {
        long id = Interlocked.Increment(ref _totalConnections);
        int index = (int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)_loops.Length);
        EventLoop loop = _loops[index];
        var connection = new EpollConnection(this, loop, _contexts[index], listener, fd, client, id);
        loop.Post(() =>
        {
            try { connection.Start(); }
            catch (Exception e) { connection.OnFault(e); }
        });
    }

    /// <summary>Loop thread of the connection: its statistics are final.</summary>
    public void OnConnectionClosed(EpollListener listener, ConnectionStatistics statistics)
    {
        if (statistics.CloseReason is CloseReason.ConnectFailed) Interlocked.Increment(ref _failedConnections);
        try
        {
            _observer.OnConnectionClosed(statistics);
        }
        catch (Exception)
        {
            // An observer must not throw; if it does, the proxy still serves.
        }
        DescriptorBudget.Release(DescriptorBudget.PerConnection);
        long active = Interlocked.Decrement(ref _activeConnections);
        if (_draining && active == 0) _drained.Set();
        foreach (EpollListener l in _listeners) l.ResumeIfPaused();
    }

    public void ReportFault(Exception error)
    {
        if (Interlocked.Exchange(ref _faulted, 1) != 0) return;
        try { _observer.OnEngineFaulted(error); } catch (Exception) { }
    }

    public ProxyStatus GetStatus(bool isRunning)
    {
        long c2t = 0, t2c = 0, spliced = 0, copied = 0, fallbacks = 0;
        foreach (RelayContext context in _contexts)
        {
            TrafficCounters k = context.Counters;
            c2t += Volatile.Read(ref k.BytesClientToTarget);
            t2c += Volatile.Read(ref k.BytesTargetToClient);
            spliced += Volatile.Read(ref k.BytesSpliced);
            copied += Volatile.Read(ref k.BytesCopied);
            fallbacks += Volatile.Read(ref k.SpliceFallbacks);
        }
        return new ProxyStatus
        {
            Name = Options.Name,
            ListenEndPoints = BoundEndPoints.Select(ProxyEndpoint.Format).ToArray(),
            Target = Options.Target.Text,
            CopyMode = Options.CopyMode,
            Engine = Kind,
            IsRunning = isRunning,
            StartTime = _startTime,
            ActiveConnections = Math.Max(0, Interlocked.Read(ref _activeConnections)),
            TotalConnections = Interlocked.Read(ref _totalConnections),
            FailedConnections = Interlocked.Read(ref _failedConnections),
            BytesClientToTarget = c2t,
            BytesTargetToClient = t2c,
            BytesSpliced = spliced,
            BytesCopied = copied,
            SpliceFallbacks = fallbacks,
            PipesInUse = _pipes.InUse,
            PipesIdle = _pipes.Idle,
            MaxPipes = _pipes.MaxPipes,
            PipeCapacityBytes = _pipes.CapacityBytes,
            EventLoops = _loops.Length,
            RefusedConnections = Interlocked.Read(ref _refusedConnections),
        };
    }

    // Stop: listeners close at once; open connections get drainTimeout to finish by themselves; the
    // rest are aborted (reset, counted as ProxyStopped); then the loops end and every pipe is closed.
    // Each step runs whatever the one before it did (threw, timed out): a stop that faults still stops.
    public void Stop(TimeSpan drainTimeout)
    {
        if (_loops.Any(l => l.IsOnLoopThread))
            throw new InvalidOperationException("A proxy cannot be stopped from its own engine thread (an observer callback).");
        _draining = true;
        try
        {
            RunOnLoops(loop => { if (loop.Index == 0) foreach (EpollListener l in _listeners) l.Close(); }, LoopStopTimeout);
            if (Interlocked.Read(ref _activeConnections) > 0)
                WaitHandle.WaitAny([_drained.WaitHandle, _drainCut.WaitHandle], WaitTime.Bounded(drainTimeout));
        }
        finally
        {
            try
            {
                RunOnLoops(loop =>
                {
                    foreach (IEventHandler handler in loop.SweptHandlers.ToArray())
                        if (handler is EpollConnection connection) connection.Abort();
                }, LoopStopTimeout);
            }
            finally
            {
                DisposeLoops();
                // A loop that faulted or did not answer never closed its listeners: close them from here, so
                // the port and the socket file are released whatever state the loops are in.
                foreach (EpollListener listener in _listeners) listener.CloseFromAnyThreadAfterLoopsEnded();
                _pipes.Dispose();
            }
        }
    }

    public void CutDrainShort() => _drainCut.Set();

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
