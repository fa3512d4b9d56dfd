using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Listening;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>
/// The portable engine (Windows, macOS, or on request on Linux): .NET async sockets and a buffered
/// copy, driven by the same <see cref="ProxyRuntime"/> and <see cref="ConnectionCore"/> policy as the
/// epoll engine; only the I/O differs. Timers sit in one <see cref="TimerQueue{T}"/> under a lock,
/// checked every 100 ms at a cost of one comparison when nothing is due.
/// </summary>
internal sealed class ManagedEngine : IProxyEngine
{
    private const int RetryMilliseconds = 100;
    private const int TimerTickMilliseconds = 100;

    private readonly List<BoundListener> _listeners;
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly ConcurrentDictionary<ManagedConnection, Task> _open = new();
    private readonly TimerQueue<ManagedConnection> _timers = new();
    private readonly SemaphoreSlim _slotFreed = new(0);
    private readonly Timer _tick;
    private readonly List<Task> _acceptLoops = new();

    private ManagedEngine(ProxyRuntime runtime, List<BoundListener> listeners)
    {
        Runtime = runtime;
        _listeners = listeners;
        BoundEndPoints = listeners.Select(l => l.EndPoint).ToArray();
        _tick = new Timer(_ => Tick(), null, TimerTickMilliseconds, TimerTickMilliseconds);
    }

    public ProxyRuntime Runtime { get; }

    /// <summary>Live byte counters; written with interlocked adds from the copy tasks.</summary>
    public TrafficCounters Traffic { get; } = new();

    public EngineKind Kind => EngineKind.Managed;

    public IReadOnlyList<EndPoint> BoundEndPoints { get; }

    public IReadOnlyList<BoundListener> BoundListeners => _listeners;

    public static IProxyEngine Start(ProxyRuntime runtime)
    {
        List<BoundListener> listeners = ListenSocketFactory.BindAll(runtime.Options);
        var engine = new ManagedEngine(runtime, listeners);
        runtime.Faults.Changed += engine.OnFaultsChanged;
        foreach (BoundListener listener in listeners) engine._acceptLoops.Add(Task.Run(() => engine.AcceptLoopAsync(listener)));
        return engine;
    }

    // Any thread: the proxy's faults changed; every open connection looks again at once (docs/ARCHITECTURE.md, "Fault injection").
    private void OnFaultsChanged()
    {
        foreach (ManagedConnection connection in _open.Keys) connection.OnFaultsChanged();
    }

    /// <summary>Any thread: (re)arms a connection's timer; long.MaxValue cancels it.</summary>
    public void ScheduleTimer(ManagedConnection connection, long deadlineMs)
    {
        lock (_timers)
        {
            if (deadlineMs == long.MaxValue) _timers.Cancel(connection);
            else _timers.Schedule(connection, deadlineMs);
        }
    }

    // At the connection limit or the descriptor budget the loop waits before accepting: clients wait in
    // the backlog. It wakes when a connection closes, or polls (the budget is the whole process's).
    private async Task AcceptLoopAsync(BoundListener listener)
    {
        CancellationToken token = _stopAccepting.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                while (!Runtime.TryAdmit()) await _slotFreed.WaitAsync(RetryMilliseconds, token);
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
                Runtime.Unadmit();
                return;
            }
            catch (SocketException e)
            {
                Runtime.Unadmit();
                if (e.SocketErrorCode == SocketError.TooManyOpenSockets) RefusePending(listener);
                await Task.Delay(RetryMilliseconds, CancellationToken.None); // the clients stay queued
                continue;
            }
            var core = new ConnectionCore(Runtime, Runtime.Counters.NextId(), client.RemoteEndPoint as IPEndPoint, listener.ListenText);
            var connection = new ManagedConnection(this, core, client);
            // The gate keeps the connection from finishing (and leaving _open) before it was added.
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _open[connection] = RunConnectionAsync(connection, registered.Task);
            registered.SetResult();
        }
    }

    private async Task RunConnectionAsync(ManagedConnection connection, Task registered)
    {
        await registered.ConfigureAwait(false);
        ConnectionStatistics statistics = await connection.RunAsync().ConfigureAwait(false);
        ScheduleTimer(connection, long.MaxValue);
        Runtime.Publish(statistics);
        _open.TryRemove(connection, out _);
        if (_slotFreed.CurrentCount == 0) _slotFreed.Release();
    }

    // Out of descriptors although the budget allowed the accept: tell waiting clients at once (see
    // DescriptorBudget.RefuseOnePending).
    private void RefusePending(BoundListener listener)
    {
        DescriptorBudget.Refresh();
        for (int i = 0; i < 64 && DescriptorBudget.RefuseOnePending((int)listener.Socket.Handle); i++)
            Runtime.Counters.CountRefused();
    }

    // On a timer thread: an exception here would end the process, so none may escape.
    private void Tick()
    {
        try
        {
            long now = Environment.TickCount64;
            while (true)
            {
                ManagedConnection due;
                lock (_timers)
                {
                    if (!_timers.TryDequeueDue(now, out due)) break;
                }
                due.OnTimer(now);
            }
        }
        catch (Exception e)
        {
            Runtime.ReportFault(e);
        }
    }

    public ProxyStatus GetStatus(bool isRunning) => Runtime.BuildStatus(isRunning, Kind, BoundEndPoints, [Traffic], PipeFigures.None, 0);

    // Listeners close at once; open connections get drainTimeout, the rest are aborted (reset). Each
    // step runs whatever the one before it did: a stop that faults still stops.
    public void Stop(TimeSpan drainTimeout)
    {
        Runtime.Faults.Changed -= OnFaultsChanged;
        _stopAccepting.Cancel();
        try
        {
            foreach (BoundListener listener in _listeners) listener.Close();
            Task.WaitAll(_acceptLoops.ToArray(), TimeSpan.FromSeconds(2));
            Runtime.Drain(drainTimeout);
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
                _tick.Dispose();
            }
        }
    }

    public void CutDrainShort() => Runtime.CutDrainShort();
}
