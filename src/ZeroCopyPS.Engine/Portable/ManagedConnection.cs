using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Copy;
using ZeroCopyPS.Engine.Proxy;

namespace ZeroCopyPS.Engine.Portable;

/// <summary>
/// One connection of the portable engine: .NET async sockets, a pooled buffer per direction, the same
/// half-close and accounting rules as the epoll engine, without splice.
/// </summary>
internal sealed class ManagedConnection
{
    private readonly ManagedProxyEngine _engine;
    private readonly Socket _client;
    private readonly string _listenText;
    private readonly string _clientText;
    private readonly long _id;
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private readonly long _acceptedTimestamp = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _abort = new();
    private Socket? _target;
    private EndPoint? _targetEndPoint;
    private EndPoint? _targetLocalEndPoint;
    private readonly IPEndPoint? _clientEndPoint;
    private long _connectedTimestamp;
    private long _clientToTarget, _targetToClient;
    // Read from one peer, not yet sent to the other: what an abort loses. Each written by its direction only.
    private long _clientToTargetInFlight, _targetToClientInFlight;
    private int _finishedDirections;
    private CloseReason? _forcedReason;

    public ManagedConnection(ManagedProxyEngine engine, Socket client, string listenText, long id)
    {
        _engine = engine;
        _client = client;
        _listenText = listenText;
        _clientEndPoint = client.RemoteEndPoint as IPEndPoint;
        _clientText = _clientEndPoint is not null ? ProxyEndpoint.Format(_clientEndPoint) : listenText;
        _id = id;
        if (client.AddressFamily != AddressFamily.Unix) ConfigureTcp(client);
        LastActivityMs = Environment.TickCount64;
    }

    public long LastActivityMs { get; private set; }

    public long AcceptedAtMs { get; } = Environment.TickCount64;

    public long HalfClosedAtMs { get; private set; }

    public bool IsConnected => _connectedTimestamp != 0;

    /// <summary>Any thread, any time (also after the connection ended): ends it for a timeout or a stop.</summary>
    public void Abort(CloseReason reason)
    {
        _forcedReason ??= reason;
        // Never disposed (it has no timer or registration to release), so a late Abort cannot throw.
        _abort.Cancel();
    }

    public async Task<ConnectionStatistics> RunAsync()
    {
        CloseReason reason;
        string? error = null;
        try
        {
            if (LoopGuard.IsOwnOutgoing(_clientEndPoint, () => _client.LocalEndPoint))
                throw new ProxyLoopException($"the client {_clientText} is this process's own connection to a target: a proxy loop, reset instead of forwarded again");
            await ConnectAsync();
            _connectedTimestamp = Stopwatch.GetTimestamp();
            LastActivityMs = Environment.TickCount64;
            bool clientFirst = await RelayAsync();
            reason = clientFirst ? CloseReason.ClientClosed : CloseReason.TargetClosed;
        }
        catch (Exception) when (_forcedReason is { } forced)
        {
            reason = forced;
            error = forced == CloseReason.ConnectFailed ? $"Connecting to target '{_engine.Resolver.Text}' timed out after {_engine.Options.ConnectTimeout.TotalSeconds:0.###} s." : null;
        }
        catch (ConnectFailedException e)
        {
            reason = CloseReason.ConnectFailed;
            error = e.Message;
        }
        catch (ProxyLoopException e)
        {
            reason = CloseReason.ProxyLoop;
            error = e.Message;
        }
        catch (SocketException e)
        {
            reason = e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted
                ? CloseReason.Reset : CloseReason.Error;
            error = e.Message;
        }
        catch (Exception e)
        {
            reason = CloseReason.Error;
            error = e.Message;
        }
        long lost = Volatile.Read(ref _clientToTargetInFlight) + Volatile.Read(ref _targetToClientInFlight);
        if (reason is CloseReason.Reset or CloseReason.Error or CloseReason.ProxyStopped or CloseReason.ProxyLoop || lost > 0)
        {
            // A cut stream must not look complete to a peer: reset instead of a clean FIN.
            TryLingerZero(_client);
            if (_target is not null) TryLingerZero(_target);
        }
        LoopGuard.RemoveOutgoing(_targetLocalEndPoint, _targetEndPoint);
        _client.Dispose();
        _target?.Dispose();
        return BuildStatistics(reason, error, lost);
    }

    private async Task ConnectAsync()
    {
        EndPoint[] candidates;
        try
        {
            candidates = await _engine.Resolver.ResolveAsync().WaitAsync(_abort.Token);
        }
        catch (SocketException e)
        {
            throw new ConnectFailedException($"Could not resolve target '{_engine.Resolver.Text}': {e.Message}");
        }
        string? lastError = null;
        foreach (EndPoint candidate in candidates)
        {
            var socket = new Socket(candidate.AddressFamily, SocketType.Stream,
                candidate.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(candidate, _abort.Token);
                if (candidate.AddressFamily != AddressFamily.Unix)
                {
                    ConfigureTcp(socket);
                    _targetLocalEndPoint = socket.LocalEndPoint;
                    LoopGuard.AddOutgoing(_targetLocalEndPoint, candidate);
                }
                _target = socket;
                _targetEndPoint = candidate;
                return;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                lastError = $"connect to {ProxyEndpoint.Format(candidate)} failed: {DescribeConnectFailure(candidate, e)}";
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new ConnectFailedException($"Could not connect to target '{_engine.Resolver.Text}': {lastError ?? "no address to try"}");
    }

    // Both directions run at once; each shuts its destination's write side after its source's EOF and
    // every byte delivered (half-close is data). Returns whether the client finished first.
    private async Task<bool> RelayAsync()
    {
        Task<bool> up = CopyAsync(_client, _target!, clientToTarget: true);
        Task<bool> down = CopyAsync(_target!, _client, clientToTarget: false);
        Task<bool> first = await Task.WhenAny(up, down);
        if (first.IsFaulted || first.IsCanceled)
        {
            // The failed side cancelled the other; let it finish so the in-flight counts are final.
            try { await Task.WhenAll(up, down); } catch (Exception) { }
            await first; // rethrow the failure that ended the connection
        }
        await Task.WhenAll(up, down);
        return first == up;
    }

    private async Task<bool> CopyAsync(Socket source, Socket destination, bool clientToTarget)
    {
        byte[] buffer = _engine.Buffers.Rent();
        try
        {
            while (true)
            {
                int read = await source.ReceiveAsync(buffer, SocketFlags.None, _abort.Token);
                if (read == 0) break;
                LastActivityMs = Environment.TickCount64;
                ref long inFlight = ref clientToTarget ? ref _clientToTargetInFlight : ref _targetToClientInFlight;
                Volatile.Write(ref inFlight, read);
                int sent = 0;
                while (sent < read)
                {
                    int n = await destination.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _abort.Token);
                    sent += n;
                    // Progress on a slow receiver is activity too: the idle timeout is for silence.
                    LastActivityMs = Environment.TickCount64;
                    Interlocked.Add(ref clientToTarget ? ref _clientToTarget : ref _targetToClient, n);
                    Volatile.Write(ref clientToTarget ? ref _clientToTargetInFlight : ref _targetToClientInFlight, read - sent);
                    _engine.Count(clientToTarget, n);
                }
            }
            destination.Shutdown(SocketShutdown.Send);
            if (Interlocked.Increment(ref _finishedDirections) == 1) HalfClosedAtMs = Environment.TickCount64;
            return true;
        }
        catch
        {
            _abort.Cancel(); // one failed direction ends the other
            throw;
        }
        finally
        {
            _engine.Buffers.Return(buffer);
        }
    }

    // Urgent (out-of-band) bytes stay in the stream, as the epoll engine keeps them: without
    // SO_OOBINLINE the kernel holds the byte aside and a stream read never sees it.
    private static void ConfigureTcp(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.OutOfBandInline, true);
    }

    // .NET reports a Unix path with no socket behind it as "Cannot assign requested address"; say what it is.
    private static string DescribeConnectFailure(EndPoint candidate, SocketException e) =>
        candidate is UnixDomainSocketEndPoint && e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported
            ? "no such socket file (nothing listens at that path)"
            : e.Message;

    private static void TryLingerZero(Socket socket)
    {
        try { socket.LingerState = new LingerOption(true, 0); } catch (Exception) { }
    }

    private ConnectionStatistics BuildStatistics(CloseReason reason, string? error, long lostBytes)
    {
        long copied = _clientToTarget + _targetToClient;
        ProxyOptions options = _engine.Options;
        return new ConnectionStatistics(
            options.Name, _id, _clientText, _listenText,
            _targetEndPoint is null ? _engine.Resolver.Text : ProxyEndpoint.Format(_targetEndPoint),
            _startTime, Stopwatch.GetElapsedTime(_acceptedTimestamp),
            _connectedTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_acceptedTimestamp, _connectedTimestamp),
            _clientToTarget, _targetToClient, 0, copied, lostBytes, options.CopyMode,
            CopyPathClassifier.Classify(0, copied),
            options.CopyMode == CopyMode.Buffered ? FallbackReason.None : FallbackReason.PlatformWithoutSplice,
            reason, error);
    }

    private sealed class ConnectFailedException(string message) : Exception(message);

    private sealed class ProxyLoopException(string message) : Exception(message);
}
