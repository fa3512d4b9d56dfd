using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Copy;
using ZeroCopyPS.Engine.Proxy;

namespace ZeroCopyPS.Engine.Portable;

/// <summary>
/// The portable engine (Windows, macOS, or on request on Linux): .NET async sockets and a buffered
/// copy. Same options, limits, statistics and stop semantics as the epoll engine; no splice.
/// </summary>
internal sealed class ManagedProxyEngine : IProxyEngine
{
    private const int RetryMilliseconds = 100;

    private readonly IProxyObserver _observer;
    private readonly List<BoundListener> _listeners;
    private readonly TaskCompletionSource _drainCut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly SemaphoreSlim _connectionSlots;
    private readonly ConcurrentDictionary<ManagedConnection, Task> _open = new();
    private readonly TrafficCounters _counters = new();
    private readonly Timer _sweep;
    private readonly List<Task> _acceptLoops = new();
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private long _totalConnections, _failedConnections, _refusedConnections;

    private ManagedProxyEngine(ProxyOptions options, IProxyObserver observer, List<BoundListener> listeners)
    {
        Options = options;
        _observer = observer;
        _listeners = listeners;
        BoundEndPoints = listeners.Select(l => l.EndPoint).ToArray();
        Resolver = new TargetResolver(options.Target);
        Buffers = new BufferPool(options.BufferSizeBytes, maxIdle: 64);
        _connectionSlots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        _sweep = new Timer(_ => Sweep(), null, 100, 100);
    }

    public ProxyOptions Options { get; }

    public TargetResolver Resolver { get; }

    public BufferPool Buffers { get; }

    public EngineKind Kind => EngineKind.Managed;

    public IReadOnlyList<EndPoint> BoundEndPoints { get; }

    public static IProxyEngine Start(ProxyOptions options, IProxyObserver observer)
    {
        List<BoundListener> listeners = ListenSocketFactory.BindAll(options);
        var engine = new ManagedProxyEngine(options, observer, listeners);
        foreach (BoundListener listener in listeners) engine._acceptLoops.Add(Task.Run(() => engine.AcceptLoopAsync(listener)));
        return engine;
    }

    public void Count(bool clientToTarget, long bytes)
    {
        Interlocked.Add(ref _counters.BytesCopied, bytes);
        if (clientToTarget) Interlocked.Add(ref _counters.BytesClientToTarget, bytes);
        else Interlocked.Add(ref _counters.BytesTargetToClient, bytes);
    }

    // At the connection limit or the descriptor budget the loop waits before accepting: clients wait in
    // the backlog. The budget is process-wide, so room made by another proxy is found by polling.
    private async Task AcceptLoopAsync(BoundListener listener)
    {
        CancellationToken token = _stopAccepting.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _connectionSlots.WaitAsync(token);
                while (!DescriptorBudget.TryReserve(DescriptorBudget.PerConnection))
                    await Task.Delay(RetryMilliseconds, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Socket client;
            try
            {
                client = await listener.Socket.AcceptAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || token.IsCancellationRequested)
            {
                ReleaseSlot();
                return;
            }
            catch (SocketException e)
            {
                ReleaseSlot();
                if (e.SocketErrorCode == SocketError.TooManyOpenSockets) RefusePending(listener);
                await Task.Delay(RetryMilliseconds, CancellationToken.None); // the clients stay queued
                continue;
            }
            var connection = new ManagedConnection(this, client, listener.ListenText, Interlocked.Increment(ref _totalConnections));
            // The gate keeps the connection from finishing (and leaving _open) before it was added.
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _open[connection] = RunConnectionAsync(connection, registered.Task);
            registered.SetResult();
        }
    }

    private async Task RunConnectionAsync(ManagedConnection connection, Task registered)
    {
        await registered.ConfigureAwait(false);
        ConnectionStatistics statistics = await connection.RunAsync();
        if (statistics.CloseReason == CloseReason.ConnectFailed) Interlocked.Increment(ref _failedConnections);
        // Both directions wanted splice and copied instead: counted per direction, as the epoll engine does.
        else if (statistics.FallbackReason != FallbackReason.None) Interlocked.Add(ref _counters.SpliceFallbacks, 2);
        try { _observer.OnConnectionClosed(statistics); } catch (Exception) { }
        _open.TryRemove(connection, out _);
        ReleaseSlot();
    }

    private void ReleaseSlot()
    {
        DescriptorBudget.Release(DescriptorBudget.PerConnection);
        _connectionSlots.Release();
    }

    // Out of descriptors although the budget allowed the accept: tell waiting clients at once (see
    // DescriptorBudget.RefuseOnePending).
    private void RefusePending(BoundListener listener)
    {
        DescriptorBudget.Refresh();
        for (int i = 0; i < 64 && DescriptorBudget.RefuseOnePending((int)listener.Socket.Handle); i++)
            Interlocked.Increment(ref _refusedConnections);
    }

    // On a timer thread: an exception here would end the process, so none may escape.
    private void Sweep()
    {
        try
        {
            SweepOnce();
        }
        catch (Exception e)
        {
            try { _observer.OnEngineFaulted(e); } catch (Exception) { }
        }
    }

    private void SweepOnce()
    {
        long now = Environment.TickCount64;
        DescriptorBudget.RefreshIfDue(now);
        foreach (ManagedConnection connection in _open.Keys)
        {
            if (!connection.IsConnected)
            {
                if (now - connection.AcceptedAtMs >= (long)Options.ConnectTimeout.TotalMilliseconds) connection.Abort(CloseReason.ConnectFailed);
            }
            else if (Options.IdleTimeout > TimeSpan.Zero && now - connection.LastActivityMs >= (long)Options.IdleTimeout.TotalMilliseconds)
                connection.Abort(CloseReason.IdleTimeout);
            else if (Options.HalfCloseTimeout > TimeSpan.Zero && connection.HalfClosedAtMs > 0 &&
                     now - connection.HalfClosedAtMs >= (long)Options.HalfCloseTimeout.TotalMilliseconds)
                connection.Abort(CloseReason.HalfCloseTimeout);
        }
    }

    public ProxyStatus GetStatus(bool isRunning) => new()
    {
        Name = Options.Name,
        ListenEndPoints = _listeners.Select(l => l.ListenText).ToArray(),
        Target = Options.Target.Text,
        CopyMode = Options.CopyMode,
        Engine = Kind,
        IsRunning = isRunning,
        StartTime = _startTime,
        ActiveConnections = _open.Count,
        TotalConnections = Interlocked.Read(ref _totalConnections),
        FailedConnections = Interlocked.Read(ref _failedConnections),
        BytesClientToTarget = Interlocked.Read(ref _counters.BytesClientToTarget),
        BytesTargetToClient = Interlocked.Read(ref _counters.BytesTargetToClient),
        BytesSpliced = 0,
        BytesCopied = Interlocked.Read(ref _counters.BytesCopied),
        SpliceFallbacks = Interlocked.Read(ref _counters.SpliceFallbacks),
        PipesInUse = 0,
        PipesIdle = 0,
        MaxPipes = 0,
        PipeCapacityBytes = 0,
        EventLoops = 0,
        RefusedConnections = Interlocked.Read(ref _refusedConnections),
    };

    // Listeners close at once; open connections get drainTimeout, the rest are aborted (reset). Each
    // step runs whatever the one before it did: a stop that faults still stops.
    public void Stop(TimeSpan drainTimeout)
    {
        _stopAccepting.Cancel();
        try
        {
            foreach (BoundListener listener in _listeners) listener.Close();
            Task.WaitAll(_acceptLoops.ToArray(), TimeSpan.FromSeconds(2));
            Task drained = Task.WhenAll(_open.Values.ToArray());
            Task.WhenAny(drained, _drainCut.Task).Wait(WaitTime.Bounded(drainTimeout));
        }
        finally
        {
            try
            {
                foreach (ManagedConnection connection in _open.Keys) connection.Abort(CloseReason.ProxyStopped);
                Task.WhenAll(_open.Values.ToArray()).Wait(TimeSpan.FromSeconds(2));
            }
            finally
            {
                foreach (BoundListener listener in _listeners) listener.Close();
                _sweep.Dispose();
            }
        }
    }

    public void CutDrainShort() => _drainCut.TrySetResult();
}
