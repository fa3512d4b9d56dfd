using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The fault half of a relay direction (docs/ARCHITECTURE.md, "Fault injection"): while an injected fault
/// applies, the direction reads into a bounded queue of chunks (<see cref="FaultChunkQueue"/>) and writes
/// them out as its gate (<see cref="DirectionFaults"/>) allows, waking by the loop's timer when the gate
/// names a time. A direction without a fault never comes here (one null test per run).
/// </summary>
internal unsafe partial struct RelayDirection
{
    /// <summary>The direction's gate, set by its connection when the proxy's faults change (null: never faulted).</summary>
    public DirectionFaults? Faults
    {
        readonly get => _fault?.Gate;
        set
        {
            if (value is null) return; // a gate, once made, stays (its counts go on); it may have no fault left
            if (_fault is null) _fault = new RelayFaultState(value);
            else _fault.Gate = value;
        }
    }

    /// <summary>When a run that ended <see cref="RelayOutcome.Timed"/> wants to run again; long.MaxValue otherwise.</summary>
    public readonly long FaultWakeMs => _fault?.WakeMs ?? long.MaxValue;

    /// <summary>Which fault ended the connection and how, for the record's error text.</summary>
    public readonly string? FaultText => _fault?.Text;

    private readonly long FaultQueuedBytes => _fault?.Queue?.QueuedBytes ?? 0;

    // A direction goes the fault way while a fault applies, and until what it queued is written after one went.
    private readonly bool UsesFaultPath => _fault is { } f && (f.Gate.Active || f.Queue is { IsEmpty: false });

    private RelayOutcome? RunFaulted(RelayContext context, ref int budget)
    {
        // The loop's round time may be older than the timer that woke us: a fresh clock, so a wait never ends in the past.
        long nowMs = Environment.TickCount64;
        RelayFaultState state = _fault!;
        state.WakeMs = long.MaxValue;
        // What the plain path read before the fault came goes first, unheld (budget 0: write, read nothing).
        if (BytesInFlight > FaultQueuedBytes)
        {
            int none = 0;
            RelayOutcome? flushed = _useSplice ? RunSplice(context, ref none, nowMs) : RunBuffered(context, ref none);
            if (flushed is RelayOutcome.Blocked or RelayOutcome.Failed or RelayOutcome.Finished) return flushed;
        }
        ReturnPipe(context);
        ReturnBuffer(context);
        DirectionFaults? gate = state.Gate.Active ? state.Gate : null;
        FaultChunkQueue queue = state.Queue ??= new FaultChunkQueue(context.Buffers.Rent, context.Buffers.Return);
        if (gate is not null && Fallback == FallbackReason.None && context.Mode != CopyMode.Buffered)
        {
            Fallback = FallbackReason.FaultInjected;
            context.Counters.SpliceFallbacks++;
        }
        while (true)
        {
            if (gate?.Due(nowMs, queue.IsEmpty && PeerTookAll(state, gate, nowMs), out string? text) is { } end && end != FaultEnd.None)
            {
                if (end == FaultEnd.Reset)
                {
                    state.Text = text;
                    return RelayOutcome.FaultReset;
                }
                if (!state.LimitReported)
                {
                    // Exactly the limit was read: deliver it, then FIN (FinishAfterEof below).
                    state.LimitReported = true;
                    state.Text = text;
                    _sourceEof = true;
                    state.SourceEofMs = nowMs;
                    return RelayOutcome.FaultLimit;
                }
            }
            // ResetAfter's bytes are written; the peer has not taken them all yet: look again in a moment.
            if (gate is { ResetBytesReached: true } && queue.IsEmpty) return Wait(state, nowMs + 1);
            long wakeMs = long.MaxValue;
            while (queue.TryPeek(out byte[] data, out int offset, out int count, out long releaseMs))
            {
                if (gate is { Delays: true } && releaseMs > nowMs)
                {
                    wakeMs = releaseMs;
                    break;
                }
                int allowed = gate?.WriteAllowance(nowMs, count) ?? count;
                if (allowed == 0)
                {
                    wakeMs = gate!.NextWriteMs;
                    break;
                }
                if (WriteCopied(context, data, offset, allowed, out int written) is { } stopped) return stopped;
                queue.Consume(written);
                gate?.OnWritten(written, nowMs);
            }
            WaitingForWritable = false;
            if (gate is { ResetBytesReached: true } && queue.IsEmpty) continue; // the last of them written: the reset's turn
            if (gate is null)
            {
                if (!queue.IsEmpty) return Wait(state, wakeMs);
                // The fault went and its queue is written: the plain path reads on (its short-read hint is stale).
                _lastReadDrainedSource = false;
                return null;
            }
            if (_sourceEof)
            {
                if (!queue.IsEmpty) return Wait(state, wakeMs);
                long finMs = gate.FinDueMs(state.SourceEofMs);
                return finMs > nowMs ? Wait(state, finMs) : FinishAfterEof(context);
            }
            if (budget <= 0) return RelayOutcome.MoreWork;
            if (queue.IsFull) return Wait(state, wakeMs);
            int allowance = gate.ReadAllowance(nowMs, int.MaxValue);
            if (allowance == 0) return Wait(state, Math.Min(wakeMs, gate.NextReadMs(nowMs)));
            (byte[] buffer, int at, int room) = queue.ReadTarget();
            nint read;
            context.Counters.Syscalls++;
            int asked = Math.Min(room, allowance);
            fixed (byte* target = &buffer[at])
                read = Libc.read(SourceFd, target, (nuint)asked);
            if (read > 0)
            {
                queue.Add((int)read, gate.OnRead((int)read, nowMs, sourceHasMore: read == asked)); // a short read drained it
                budget -= (int)read;
                continue;
            }
            queue.Unused();
            if (read == 0)
            {
                _sourceEof = true;
                state.SourceEofMs = nowMs;
                continue;
            }
            int readErrno = Libc.LastErrno;
            if (readErrno == Errno.EAGAIN) return queue.IsEmpty ? RelayOutcome.Blocked : Wait(state, wakeMs);
            return Fail("read(source)", RelaySide.Source, readErrno);
        }
    }

    // Held by time: the connection's timer runs this direction again then. With no time (a Stall without
    // CloseAfter) it waits for a change of the proxy's faults, which runs every open connection.
    private static RelayOutcome Wait(RelayFaultState state, long wakeMs)
    {
        state.WakeMs = wakeMs;
        return wakeMs == long.MaxValue ? RelayOutcome.Blocked : RelayOutcome.Timed;
    }

    // A reset discards the send queue: a reset by bytes waits (bounded) until the peer acknowledged them all.
    private readonly bool PeerTookAll(RelayFaultState state, DirectionFaults gate, long nowMs)
    {
        if (!gate.ResetBytesReached) return true;
        if (state.ResetDrainSinceMs == 0) state.ResetDrainSinceMs = nowMs;
        return NativeSocket.SendQueueBytes(DestinationFd, finSent: Finished) == 0 || nowMs - state.ResetDrainSinceMs >= DirectionFaults.ResetDrainMilliseconds;
    }

    private readonly long ReleaseFaultQueue() => _fault?.Queue?.Clear() ?? 0;
}
