using System.Buffers;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;
using ZeroCopyPS.Engine.ProxyProtocol;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>
/// One connection of the portable engine: the I/O, with .NET async sockets, for a
/// <see cref="ConnectionCore"/> that decides everything else. Each direction waits for data with a
/// zero-byte receive and rents a buffer only while bytes flow (as Kestrel does), so an idle connection
/// holds no buffer. Calls into the core are serialised by a lock; the two directions run concurrently.
/// </summary>
internal sealed partial class ManagedConnection : ITimed, ILiveConnection
{
    private readonly ManagedEngine _engine;
    private readonly ConnectionCore _core;
    private readonly Socket _client;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _abort = new();
    // Cancelled for a graceful close: the directions stop reading, deliver what they hold, then FIN.
    private readonly CancellationTokenSource _stopReading;
    private volatile bool _gracefulClose;
    private readonly ManagedDirection _clientToTarget;
    private readonly ManagedDirection _targetToClient;
    private Socket? _target;
    private EndPoint? _targetLocalEndPoint;
    private EndPoint? _targetAddress;
    private EndPoint? _proxyDestination;
    private CloseReason? _forcedReason;
    private (int Errno, bool ClientSide, string Call)? _failure;

    public ManagedConnection(ManagedEngine engine, ConnectionCore core, Socket client)
    {
        _engine = engine;
        _core = core;
        _client = client;
        _stopReading = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        FallbackReason fallback = core.Proxy.Options.CopyMode == CopyMode.Buffered ? FallbackReason.None
            : OperatingSystem.IsLinux() ? FallbackReason.ManagedEngine : FallbackReason.PlatformWithoutSplice;
        _clientToTarget = new ManagedDirection(clientToTarget: true) { Fallback = fallback };
        _targetToClient = new ManagedDirection(clientToTarget: false) { Fallback = fallback };
        if (client.AddressFamily != AddressFamily.Unix) ManagedSockets.ConfigureTcp(client);
    }

    public long DeadlineMs { get; set; }

    public int TimerIndex { get; set; } = -1;

    /// <summary>Any thread, any time (also after the connection ended): ends it for a stop.</summary>
    public void Abort(CloseReason reason)
    {
        lock (_gate) _forcedReason ??= reason;
        _abort.Cancel(); // never disposed (it has no timer or registration to release), so a late Abort cannot throw
    }

    /// <summary>Timer thread: a deadline of this connection is due; the core says whether something expired.</summary>
    public void OnTimer(long nowMs)
    {
        CloseReason? expired;
        long next;
        lock (_gate)
        {
            expired = _core.Phase == ConnectionPhase.Closed ? null
                : _core.Expired(nowMs, _clientToTarget.LastProgressMs, _targetToClient.LastProgressMs);
            next = _core.NextDeadlineMs(_clientToTarget.LastProgressMs, _targetToClient.LastProgressMs);
        }
        if (expired is null && DueFaultReset(nowMs) is { } text) ResetByFault(text);
        else if (expired is { } reason) Abort(reason);
        else _engine.ScheduleTimer(this, Math.Min(next, FaultDueMs()));
    }

    // Asked at accept: a connect of this process to this listener that has not registered its port yet
    // (LoopCheck.Wait) is waited for, a millisecond at a time, within LoopGuard.RegistrationWaitMs.
    private async Task<bool> LoopsAsync()
    {
        long until = Environment.TickCount64 + LoopGuard.RegistrationWaitMs;
        while (true)
        {
            LoopCheck check = _core.CheckLoop(() => _client.LocalEndPoint);
            if (check != LoopCheck.Wait || Environment.TickCount64 >= until) return check == LoopCheck.Loop;
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    public async Task<ConnectionStatistics> RunAsync()
    {
        CloseReason reason;
        string? error = null;
        try
        {
            _core.Proxy.Live[_core.Id] = this;
            if (await LoopsAsync().ConfigureAwait(false)) return Close(CloseReason.ProxyLoop, _core.LoopText);
            if (_core.Phase == ConnectionPhase.ReadingProxyHeader)
            {
                _engine.ScheduleTimer(this, _core.ProxyHeaderDeadlineMs);
                (string? refused, _proxyDestination) = await ManagedProxyHeaders.ReadAsync(_client, _core, _gate, _abort.Token).ConfigureAwait(false);
                if (refused is not null) return Close(CloseReason.BadProxyHeader, refused);
            }
            if (!_core.IsAdmitted) return Close(CloseReason.Denied, _core.DeniedText);
            _engine.ScheduleTimer(this, _core.ConnectDeadlineMs);
            (_target, EndPoint address, _targetLocalEndPoint) = await ManagedConnector.ConnectToATargetAsync(_core, _gate, _abort.Token).ConfigureAwait(false);
            _targetAddress = address;
            if (address.AddressFamily != AddressFamily.Unix) ManagedSockets.ConfigureTcp(_target);
            if (_core.IsLoop(() => _client.LocalEndPoint)) return Close(CloseReason.ProxyLoop, _core.LoopText);
            await ManagedProxyHeaders.SendAsync(_target!, _core, _proxyDestination ?? _client.LocalEndPoint, _abort.Token).ConfigureAwait(false);
            long now = Environment.TickCount64;
            lock (_gate)
            {
                _core.OnConnected(address);
                _clientToTarget.LastProgressMs = _targetToClient.LastProgressMs = now;
            }
            RearmTimer();
            // Both directions wanted splice and copy instead: counted per direction, as the epoll engine counts.
            if (_clientToTarget.Fallback != FallbackReason.None) Interlocked.Add(ref _engine.Traffic.SpliceFallbacks, 2);
            reason = await RelayAsync().ConfigureAwait(false);
        }
        catch (ConnectFailedException e)
        {
            reason = CloseReason.ConnectFailed;
            error = e.Message;
        }
        catch (OperationCanceledException) when (_forcedReason is not null)
        {
            reason = _forcedReason.Value;
            if (reason == CloseReason.ConnectFailed) error = _core.ConnectFailureText(Environment.TickCount64);
            if (reason == CloseReason.BadProxyHeader) error = _core.ProxyHeaderTimeoutText;
            if (reason == CloseReason.Closed) error = "closed on request, before it relayed";
        }
        catch (SocketException e) when (_core.Phase != ConnectionPhase.Relaying)
        {
            reason = FailureClassifier.CloseReasonFor(FailureClassifier.Classify(FailureClassifier.ToErrno(e.SocketErrorCode)));
            error = $"the client failed before the relay: {e.Message}";
        }
        catch (Exception e)
        {
            reason = CloseReason.Error;
            error = "Engine error: " + e.Message;
        }
        if (reason == CloseReason.ProxyStopped && _core.Phase == ConnectionPhase.Connecting) error = null;
        return Close(reason, error);
    }

    public ConnectionInfo Snapshot()
    {
        lock (_gate)
            return _core.Snapshot(_clientToTarget.Written, _targetToClient.Written, 0, _clientToTarget.Written + _targetToClient.Written, _core.Proxy.IsDraining);
    }

    public void RequestClose(bool graceful)
    {
        bool relaying;
        lock (_gate) relaying = _core.Phase == ConnectionPhase.Relaying;
        if (graceful && relaying)
        {
            _gracefulClose = true;
            _stopReading.Cancel();
        }
        else Abort(CloseReason.Closed);
    }

    // Both directions run at once; each shuts its destination's write side after its source's EOF and
    // every byte delivered (half-close is data). The first failure is kept (a direction that fails
    // cancels the other, whose cancellation must not hide the real cause).
    private async Task<CloseReason> RelayAsync()
    {
        Task up = CopyAsync(_client, _target!, _clientToTarget);
        Task down = CopyAsync(_target!, _client, _targetToClient);
        await Task.WhenAll(up, down).ConfigureAwait(false);
        lock (_gate)
        {
            if (_failure is { } failure) return FailureClassifier.CloseReasonFor(FailureClassifier.Classify(failure.Errno));
            if (_forcedReason is { } forced) return forced;
            return _faultCloseReason ?? (_gracefulClose ? CloseReason.Closed : _core.NaturalCloseReason);
        }
    }

    // Invariant: a zero-byte receive is pending on the source whenever this direction waits, also while
    // a send to a slow destination is pending, so a reset or error from the source is seen at once
    // whatever the destination does (docs/ARCHITECTURE.md, "Connection policy": resets travel at once).
    // A direction that does not wait issues none: while the source has bytes queued and each send completes
    // at once, a chunk is a read and a send that both complete synchronously, and allocates nothing (a Task
    // per chunk for those two waits was 1.9 KB per 64 KiB chunk, docs/benchmarks.md section 5).
    private async Task CopyAsync(Socket source, Socket destination, ManagedDirection direction)
    {
        CancellationToken token = _abort.Token;
        int bufferSize = _core.Proxy.Options.BufferSizeBytes;
        byte[]? buffer = null;
        RelaySide side = RelaySide.Source;
        try
        {
            // Wait for data without a buffer: an idle connection holds none.
            Task<int>? sourceReady = WaitForSource(source);
            while (true)
            {
                side = RelaySide.Source;
                try
                {
                    if (sourceReady is not null) await sourceReady.ConfigureAwait(false);
                    else _stopReading.Token.ThrowIfCancellationRequested(); // read on at once, as a graceful close allows
                }
                catch (OperationCanceledException) when (_gracefulClose && !_abort.IsCancellationRequested)
                {
                    break; // a graceful close: what was read is delivered, now the FIN
                }
                sourceReady = null;
                if (FaultGate(direction) is { } gate) // nothing is in flight here; the fault way has its own buffers
                {
                    if (buffer is not null) ArrayPool<byte>.Shared.Return(Interlocked.Exchange(ref buffer, null)!);
                    if (await CopyFaultedAsync(source, destination, direction, gate).ConfigureAwait(false)) break;
                    sourceReady = WaitForSource(source);
                    continue;
                }
                // The zero-byte receive may complete on a stale readiness edge (.NET makes no syscall for it):
                // rent only when there is something to read, or an end (EOF, error) to read.
                if (buffer is null && source.Available == 0 && !source.Poll(0, SelectMode.SelectRead))
                {
                    sourceReady = WaitForSource(source);
                    continue;
                }
                buffer ??= ArrayPool<byte>.Shared.Rent(bufferSize);
                int read = await source.ReceiveAsync(buffer.AsMemory(0, bufferSize), SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0) break;
                direction.Progress(read, 0);
                for (int sent = 0; sent < read;)
                {
                    side = RelaySide.Destination;
                    ValueTask<int> sending = destination.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token);
                    int n;
                    if (sending.IsCompletedSuccessfully) n = sending.Result;
                    else
                    {
                        // The send waits for the destination: from now on the source is watched.
                        Task<int> send = sending.AsTask();
                        sourceReady ??= WaitForSource(source);
                        if (!send.IsCompleted) await ManagedSockets.WatchSourceWhileSending(source, send, sourceReady, token).ConfigureAwait(false);
                        side = RelaySide.Destination;
                        n = await send.ConfigureAwait(false);
                    }
                    sent += n;
                    direction.Progress(0, n);
                    _engine.Traffic.AddCopied(direction.ClientToTarget, n);
                }
                // A short read drained the socket: the buffer goes back until the next burst.
                if (read < bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
                // Bytes queued at the source: read them at once. Otherwise wait (the zero-byte receive, pending
                // already if a send waited).
                if (buffer is null || source.Available == 0) sourceReady ??= WaitForSource(source);
            }
            // Who finished first is decided here, before the FIN goes: once it has gone, the other side's
            // answering FIN could overtake this thread.
            lock (_gate) _core.NoteFinished(direction.ClientToTarget);
            side = RelaySide.Destination;
            destination.Shutdown(SocketShutdown.Send);
            direction.Finished = true;
            RearmTimer(); // half-closed: the remaining direction's own timer may now come first
        }
        catch (SocketException e)
        {
            RecordFailure(FailureClassifier.ToErrno(e.SocketErrorCode), direction.ClientToTarget == (side == RelaySide.Source),
                side == RelaySide.Source ? "receive(source)" : "send(destination)");
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Cancelled by the other direction's failure, a timeout or a stop: the cause is recorded there.
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The zero-byte receive a waiting direction keeps pending on its source (see CopyAsync); a graceful close cancels it.
    private Task<int> WaitForSource(Socket source) => source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _stopReading.Token).AsTask();

    private void RecordFailure(int errno, bool clientSide, string call)
    {
        lock (_gate) _failure ??= (errno, clientSide, call);
        _abort.Cancel(); // one failed direction ends the other
    }

    private void RearmTimer()
    {
        long next;
        lock (_gate) next = _core.NextDeadlineMs(_clientToTarget.LastProgressMs, _targetToClient.LastProgressMs);
        _engine.ScheduleTimer(this, Math.Min(next, FaultDueMs()));
    }

    private ConnectionStatistics Close(CloseReason reason, string? error)
    {
        _engine.ScheduleTimer(this, long.MaxValue);
        if (_failure is { } failure)
            error = $"{failure.Call} on the {(failure.ClientSide ? "client" : "target")} side: {FailureClassifier.Describe(failure.Errno)}";
        if (reason is CloseReason.FaultReset or CloseReason.FaultLimit) error ??= _faultText;
        long inFlight = _clientToTarget.InFlight + _targetToClient.InFlight;
        bool abortive = ConnectionCore.IsAbortive(reason, inFlight, _gracefulClose && reason == CloseReason.Closed);
        DirectionTotals clientToTarget = _clientToTarget.Totals(_target, abortive);
        DirectionTotals targetToClient = _targetToClient.Totals(_client, abortive);
        if (abortive)
        {
            // A cut stream must not look complete to a peer: reset instead of a clean FIN.
            ManagedSockets.TryLingerZero(_client);
            if (_target is not null) ManagedSockets.TryLingerZero(_target);
        }
        LoopGuard.RemoveOutgoing(_targetLocalEndPoint, _targetAddress);
        _core.Proxy.Live.TryRemove(_core.Id, out _);
        _client.Dispose();
        _target?.Dispose();
        lock (_gate) return _core.Finish(reason, error, clientToTarget, targetToClient, abortive);
    }

}
