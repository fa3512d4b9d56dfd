using System.Buffers;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>
/// Injected faults on a managed connection (docs/ARCHITECTURE.md, "Fault injection"): the same gate and
/// chunk queue as the epoll engine, with awaited delays in place of the loop's timer. A direction checks
/// for a fault before each read; while one applies, it runs <see cref="CopyFaultedAsync"/> until the fault
/// is gone and its queue written. A change of the proxy's faults wakes every held direction at once.
/// </summary>
internal sealed partial class ManagedConnection
{
    private TaskCompletionSource _faultsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CloseReason? _faultCloseReason;
    private string? _faultText;

    /// <summary>Any thread: the proxy's faults changed: look again, re-arm the timer, wake held directions.</summary>
    public void OnFaultsChanged()
    {
        bool relaying;
        lock (_gate) relaying = _core.Phase == ConnectionPhase.Relaying;
        if (relaying)
        {
            _core.Faults.Refresh(Environment.TickCount64);
            RearmTimer();
        }
        Interlocked.Exchange(ref _faultsChanged, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    // The gate of this direction when a fault applies to it now, else null. Before each read of the plain copy.
    private DirectionFaults? FaultGate(ManagedDirection direction)
    {
        ConnectionFaults faults = _core.Faults;
        if (faults.IsStale)
        {
            faults.Refresh(Environment.TickCount64);
            RearmTimer();
        }
        DirectionFaults? gate = direction.ClientToTarget ? faults.ClientToTarget : faults.TargetToClient;
        if (gate is null) return null;
        lock (gate) return gate.Active ? gate : null;
    }

    // The timer's part: the earliest time a fault may reset this connection, and whether one does now.
    private long FaultDueMs()
    {
        long due = long.MaxValue;
        foreach (DirectionFaults? gate in new[] { _core.Faults.ClientToTarget, _core.Faults.TargetToClient })
            if (gate is not null) lock (gate) due = Math.Min(due, gate.NextDueMs);
        return due;
    }

    private string? DueFaultReset(long nowMs)
    {
        foreach (DirectionFaults? gate in new[] { _core.Faults.ClientToTarget, _core.Faults.TargetToClient })
            if (gate is not null)
                lock (gate)
                    if (gate.Active && gate.NextDueMs <= nowMs && gate.Due(nowMs, queueEmpty: false, out string? text) == FaultEnd.Reset) return text;
        return null;
    }

    private void ResetByFault(string? text)
    {
        lock (_gate) _faultText ??= text;
        Abort(CloseReason.FaultReset);
    }

    // Returns true once the source's end (or a graceful stop) is delivered: the caller sends the FIN. False
    // when no fault applies any more and the queue is written: the plain copy goes on.
    private async Task<bool> CopyFaultedAsync(Socket source, Socket destination, ManagedDirection direction, DirectionFaults gate)
    {
        CancellationToken token = _abort.Token;
        int bufferSize = _core.Proxy.Options.BufferSizeBytes;
        var queue = new FaultChunkQueue(() => ArrayPool<byte>.Shared.Rent(bufferSize), b => ArrayPool<byte>.Shared.Return(b));
        bool eof = false, limitReported = false, sourceSide = true;
        long eofMs = 0, drainSinceMs = 0;
        Task<int>? readable = null;
        try
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                Task changed = Volatile.Read(ref _faultsChanged).Task; // taken before looking, so no change is missed
                if (_core.Faults.IsStale) FaultGate(direction);
                long now = Environment.TickCount64;
                if (!eof && _stopReading.IsCancellationRequested) (eof, eofMs) = (true, now); // a graceful close: deliver, then FIN
                bool active, resetBytesReached, delays;
                FaultEnd end;
                string? text;
                lock (gate)
                {
                    active = gate.Active;
                    resetBytesReached = active && gate.ResetBytesReached;
                    // A reset discards the send queue: a reset by bytes waits (bounded) until the peer took them all.
                    if (resetBytesReached && queue.IsEmpty && drainSinceMs == 0) drainSinceMs = now;
                    bool delivered = queue.IsEmpty && (!resetBytesReached || SendQueueEmpty(destination) || now - drainSinceMs >= DirectionFaults.ResetDrainMilliseconds);
                    text = null;
                    end = active ? gate.Due(now, delivered, out text) : FaultEnd.None;
                    delays = active && gate.Delays;
                }
                if (end == FaultEnd.Reset)
                {
                    ResetByFault(text);
                    continue; // cancelled: the loop's first line leaves
                }
                if (end == FaultEnd.Limit && !limitReported)
                {
                    limitReported = true;
                    (eof, eofMs) = (true, now);
                    EndByLimit(text);
                }
                if (resetBytesReached && queue.IsEmpty)
                {
                    await Task.Delay(1, token).ConfigureAwait(false);
                    continue;
                }
                long wakeMs = long.MaxValue;
                while (queue.TryPeek(out byte[] data, out int offset, out int count, out long releaseMs))
                {
                    if (delays && releaseMs > now)
                    {
                        wakeMs = releaseMs;
                        break;
                    }
                    int allowed;
                    lock (gate) allowed = active ? gate.WriteAllowance(now, count) : count;
                    if (allowed == 0)
                    {
                        lock (gate) wakeMs = gate.NextWriteMs;
                        break;
                    }
                    sourceSide = false;
                    int sent = await destination.SendAsync(data.AsMemory(offset, allowed), SocketFlags.None, token).ConfigureAwait(false);
                    sourceSide = true;
                    queue.Consume(sent);
                    now = Environment.TickCount64;
                    lock (gate) gate.OnWritten(sent, now);
                    direction.Progress(0, sent);
                    _engine.Traffic.AddCopied(direction.ClientToTarget, sent);
                }
                if (resetBytesReached && queue.IsEmpty) continue; // the last of them written: the reset's turn
                if (queue.IsEmpty && (eof || !active))
                {
                    if (!eof) return false;
                    long finMs;
                    lock (gate) finMs = gate.FinDueMs(eofMs);
                    if (finMs <= now) return true;
                    wakeMs = finMs;
                }
                int allowance = 0;
                if (!eof && active && !queue.IsFull)
                {
                    lock (gate)
                    {
                        allowance = gate.ReadAllowance(now, int.MaxValue);
                        if (allowance == 0) wakeMs = Math.Min(wakeMs, gate.NextReadMs(now));
                    }
                }
                if (allowance > 0 && (source.Available > 0 || source.Poll(0, SelectMode.SelectRead)))
                {
                    readable = null;
                    (byte[] buffer, int at, int room) = queue.ReadTarget();
                    int read = await source.ReceiveAsync(buffer.AsMemory(at, Math.Min(room, allowance)), SocketFlags.None, token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        queue.Unused();
                        (eof, eofMs) = (true, Environment.TickCount64);
                        continue;
                    }
                    long releaseMs;
                    bool sourceHasMore = source.Available > 0;
                    lock (gate) releaseMs = gate.OnRead(read, Environment.TickCount64, sourceHasMore);
                    queue.Add(read, releaseMs);
                    direction.Progress(read, 0);
                    continue;
                }
                if (allowance > 0) readable ??= source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _stopReading.Token).AsTask();
                await WaitAsync(readable, wakeMs, changed, token).ConfigureAwait(false);
                if (readable is { IsCompleted: true })
                {
                    Task<int> done = readable;
                    readable = null;
                    try { await done.ConfigureAwait(false); } // a reset or error of the source surfaces here
                    catch (OperationCanceledException) when (_stopReading.IsCancellationRequested && !token.IsCancellationRequested) { }
                }
            }
        }
        catch (SocketException e)
        {
            RecordFailure(FailureClassifier.ToErrno(e.SocketErrorCode), direction.ClientToTarget == sourceSide,
                sourceSide ? "receive(source)" : "send(destination)");
            throw new OperationCanceledException(); // recorded; the caller's cancellation path ends the direction
        }
        finally
        {
            queue.Clear(); // what an abort leaves queued is already counted in flight (read, not written)
        }
    }

    // Until the source may be read, a held chunk's time, a change of the proxy's faults, or the end.
    private static async Task WaitAsync(Task<int>? readable, long untilMs, Task changed, CancellationToken token)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        long waitMs = untilMs == long.MaxValue ? Timeout.Infinite : Math.Max(1, untilMs - Environment.TickCount64);
        Task delay = Task.Delay(TimeSpan.FromMilliseconds(waitMs), cancel.Token);
        await (readable is null ? Task.WhenAny(delay, changed) : Task.WhenAny(delay, changed, readable)).ConfigureAwait(false);
        cancel.Cancel();
    }

    private static bool SendQueueEmpty(Socket destination) =>
        !OperatingSystem.IsLinux() || destination.AddressFamily == AddressFamily.Unix || NativeSocket.SendQueueBytes((int)destination.Handle, finSent: false) == 0; // a fault acts while the direction still copies: no FIN yet

    // LimitData reached: this direction delivers what it read, then FIN; the other stops reading, delivers, FIN.
    private void EndByLimit(string? text)
    {
        lock (_gate)
        {
            _faultCloseReason ??= CloseReason.FaultLimit;
            _faultText ??= text;
        }
        _gracefulClose = true;
        _stopReading.Cancel();
    }
}
