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
    private readonly IProxyObserver _observer;
    private readonly List<(Socket Socket, string Text)> _listeners;
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly SemaphoreSlim _connectionSlots;
    private readonly ConcurrentDictionary<ManagedConnection, Task> _open = new();
    private readonly TrafficCounters _counters = new();
    private readonly Timer _sweep;
    private readonly List<Task> _acceptLoops = new();
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private long _totalConnections, _failedConnections;

    private ManagedProxyEngine(ProxyOptions options, IProxyObserver observer, List<(Socket, string)> listeners)
    {
        Options = options;
        _observer = observer;
        _listeners = listeners;
        BoundEndPoints = listeners.Select(l => l.Item1.LocalEndPoint!).ToArray(); // still readable after stop
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
        var listeners = new List<(Socket, string)>();
        try
        {
            foreach (ProxyEndpoint endpoint in options.Listen)
                foreach (Socket socket in ListenSocketFactory.BindAll(endpoint, options.ListenBacklog))
                {
                    string text = ProxyEndpoint.Format(socket.LocalEndPoint);
                    listeners.Add((socket, endpoint.IsUnix ? endpoint.Text : text));
                }
        }
        catch
        {
            foreach (var (socket, _) in listeners) socket.Dispose();
            throw;
        }
        var engine = new ManagedProxyEngine(options, observer, listeners);
        foreach (var (socket, text) in listeners) engine._acceptLoops.Add(Task.Run(() => engine.AcceptLoopAsync(socket, text)));
        return engine;
    }

    public void Count(bool clientToTarget, long bytes)
    {
        Interlocked.Add(ref _counters.BytesCopied, bytes);
        if (clientToTarget) Interlocked.Add(ref _counters.BytesClientToTarget, bytes);
        else Interlocked.Add(ref _counters.BytesTargetToClient, bytes);
    }

    // At the limit the loop waits for a free slot before accepting: clients wait in the backlog.
    private async Task AcceptLoopAsync(Socket listener, string listenText)
    {
        CancellationToken token = _stopAccepting.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _connectionSlots.WaitAsync(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Socket client;
            try
            {
                client = await listener.AcceptAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || token.IsCancellationRequested)
            {
                _connectionSlots.Release();
                return;
            }
            catch (SocketException)
            {
                _connectionSlots.Release();
                await Task.Delay(100, CancellationToken.None); // EMFILE and friends: the client stays queued
                continue;
            }
            if (client.AddressFamily != AddressFamily.Unix) client.NoDelay = true;
            var connection = new ManagedConnection(this, client, listenText, Interlocked.Increment(ref _totalConnections));
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
        _connectionSlots.Release();
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
        ListenEndPoints = _listeners.Select(l => l.Text).ToArray(),
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
    };

    public void Stop(TimeSpan drainTimeout)
    {
        _stopAccepting.Cancel();
        foreach (var (socket, text) in _listeners)
        {
            socket.Dispose();
            if (text.StartsWith("unix:/", StringComparison.Ordinal)) TryDelete(text[5..]);
        }
        Task.WaitAll(_acceptLoops.ToArray(), TimeSpan.FromSeconds(2));
        Task drained = Task.WhenAll(_open.Values.ToArray());
        if (!drained.Wait(drainTimeout))
        {
            foreach (ManagedConnection connection in _open.Keys) connection.Abort(CloseReason.ProxyStopped);
            Task.WhenAll(_open.Values.ToArray()).Wait(TimeSpan.FromSeconds(2));
        }
        _sweep.Dispose();
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
