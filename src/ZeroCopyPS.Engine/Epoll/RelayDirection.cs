using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One direction of a relay (source socket → destination socket), driven by its event loop thread
/// only. Moves bytes with splice (socket → pipe → socket) or through a user-space buffer, and holds
/// a pipe or a buffer only while it has bytes in flight.
/// A mutable struct kept as a field of its connection: two per connection, no extra objects. The two
/// ways of moving bytes are in RelayDirection.Splice.cs and RelayDirection.Buffered.cs; a direction under an
/// injected fault moves them as RelayDirection.Faults.cs says.
/// </summary>
internal unsafe partial struct RelayDirection
{
    private SplicePipe? _pipe;
    private int _pipeBytes;
    private byte[]? _buffer;
    private int _bufferStart;
    private int _bufferEnd;
    private bool _useSplice;
    private bool _switchToSplicePending;
    // False once splice cannot serve this direction at all (not supported, urgent data); a transient
    // fallback (no pipe to be had) only lasts until the end of the burst (docs/ARCHITECTURE.md, invariant 3).
    private bool _spliceUsable;
    private bool _retrySpliceAtNextBurst;
    private bool _sourceEof;
    private bool _lastReadDrainedSource;
    private bool _sourceHangupSeen;
    private bool _urgentDataSeen;
    // Adaptive pipe capacity (RelayDirection.Growth.cs): the size class earned, drains in a row that filled
    // the pipe, how this burst's drains filled it, and whether the kernel refused the pipe a size.
    private byte _pipeClass;
    private byte _fullDrains;
    private byte _burstFill;
    private bool _growthRefused;
    private long _lastFullDrainMs;
    // Null until an injected fault applies to this direction (RelayDirection.Faults.cs).
    private RelayFaultState? _fault;

    public RelayDirection(int sourceFd, int destinationFd, bool clientToTarget, CopyMode mode, long nowMs)
    {
        SourceFd = sourceFd;
        DestinationFd = destinationFd;
        ClientToTarget = clientToTarget;
        _useSplice = mode == CopyMode.Splice;
        _spliceUsable = mode != CopyMode.Buffered;
        LastProgressMs = nowMs;
    }

    public int SourceFd { get; }

    public int DestinationFd { get; }

    public bool ClientToTarget { get; }

    /// <summary>True while bytes wait for the destination: only writability can move this direction on.</summary>
    public bool WaitingForWritable { get; private set; }

    public bool Finished { get; private set; }

    public int FailureErrno { get; private set; }

    /// <summary>The call that failed, for error texts.</summary>
    public string? FailedCall { get; private set; }

    /// <summary>The socket the failed call was made on.</summary>
    public RelaySide FailedSide { get; private set; }

    /// <summary>When this direction last moved a byte (read or written); the timers' notion of activity.</summary>
    public long LastProgressMs { get; private set; }

    /// <summary>True when the last bytes written went out by splice (the path an unsent tail is taken off).</summary>
    public bool LastWriteSpliced { get; private set; }

    /// <summary>Bytes the destination socket took (syscall return values).</summary>
    public long BytesDelivered { get; private set; }

    public long BytesSpliced { get; private set; }

    public long BytesCopied { get; private set; }

    public FallbackReason Fallback { get; private set; }

    /// <summary>
    /// The source reported EPOLLRDHUP, EPOLLHUP or EPOLLERR: its end of stream or error may already be
    /// queued behind the data, with no further edge to announce it, so it must be read until EOF or EAGAIN.
    /// </summary>
    public void NoteSourceHangup() => _sourceHangupSeen = true;

    /// <summary>
    /// The source has TCP urgent data (EPOLLPRI / POLLPRI). read(2) stops at the urgent mark too, so a
    /// short read no longer means "drained", and splice cannot pass the mark at all: this direction
    /// continues buffered.
    /// </summary>
    public void NoteUrgentData()
    {
        _urgentDataSeen = true;
        _sourceHangupSeen = true;
    }

    /// <summary>
    /// A graceful close asked for: read no more from the source, deliver what is in flight, then shut
    /// the destination's write side (a FIN) as if the source had ended.
    /// </summary>
    public void EndAfterInFlight() => _sourceEof = true;

    /// <summary>Bytes read from the source and not delivered: what an abort would lose.</summary>
    public readonly long BytesInFlight => _pipeBytes + (_bufferEnd - _bufferStart) + FaultQueuedBytes;

    public RelayOutcome Run(RelayContext context, long nowMs)
    {
        int budget = context.BudgetBytesPerRun;
        long deliveredBefore = BytesDelivered;
        try
        {
            while (true)
            {
                RelayOutcome? outcome = UsesFaultPath ? RunFaulted(context, ref budget)
                    : _useSplice ? RunSplice(context, ref budget, nowMs) : RunBuffered(context, ref budget);
                if (outcome is { } done) return done;
                // null: the strategy changed (fallback or Auto switch) with nothing in flight; go on with the other.
            }
        }
        finally
        {
            // Read or written: both are progress (a slow reader draining a full pipe is not idle).
            if (budget != context.BudgetBytesPerRun || BytesDelivered != deliveredBefore) LastProgressMs = nowMs;
        }
    }

    // Half-close is data (docs/ARCHITECTURE.md, invariant 6): only once every byte of this direction is delivered does the
    // destination learn that no more will come; the other direction keeps running.
    private RelayOutcome FinishAfterEof(RelayContext context)
    {
        ReturnPipe(context);
        ReturnBuffer(context);
        if (Libc.shutdown(DestinationFd, Flags.SHUT_WR) != 0)
        {
            int errno = Libc.LastErrno;
            // ENOTCONN: the destination already went away entirely; nothing was left to deliver anyway.
            if (errno != Errno.ENOTCONN) return Fail("shutdown(destination, SHUT_WR)", RelaySide.Destination, errno);
        }
        Finished = true;
        return RelayOutcome.Finished;
    }

    // A transient fallback (no pipe to be had) lasts one burst: a long-lived connection that fell back
    // once at a busy moment splices again later. Splice not supported and urgent data are for good.
    private void SwitchToBuffered(RelayContext context, FallbackReason reason, bool permanent)
    {
        _useSplice = false;
        _lastReadDrainedSource = false; // a hint from before a splice phase says nothing about the source now
        if (permanent) _spliceUsable = false;
        else _retrySpliceAtNextBurst = context.Mode == CopyMode.Splice;
        if (Fallback == FallbackReason.None) Fallback = reason;
        context.Counters.SpliceFallbacks++;
    }

    // The source is drained and nothing is in flight: the buffer goes back, and a Splice-mode direction
    // that fell back for want of a pipe tries splice again with the next burst.
    private void EndOfBurst(RelayContext context)
    {
        ReturnBuffer(context);
        if (_retrySpliceAtNextBurst && _spliceUsable)
        {
            _retrySpliceAtNextBurst = false;
            _useSplice = true;
        }
    }

    private RelayOutcome Fail(string call, RelaySide side, int errno)
    {
        FailedCall = call;
        FailedSide = side;
        FailureErrno = errno;
        return RelayOutcome.Failed;
    }

    // Plain adds: only this loop's thread writes these counters (see TrafficCounters).
    private readonly void Count(RelayContext context, nint bytes, bool spliced)
    {
        TrafficCounters counters = context.Counters;
        if (spliced) counters.BytesSpliced += bytes;
        else counters.BytesCopied += bytes;
        if (ClientToTarget) counters.BytesClientToTarget += bytes;
        else counters.BytesTargetToClient += bytes;
    }

    private void ReturnPipe(RelayContext context)
    {
        if (_pipe is null) return;
        context.Pipes.Return(_pipe, mayHoldBytes: _pipeBytes > 0);
        _pipe = null;
    }

    private void ReturnBuffer(RelayContext context)
    {
        if (_buffer is null) return;
        context.Buffers.Return(_buffer);
        _buffer = null;
        _bufferStart = _bufferEnd = 0;
    }

    /// <summary>Aborts: releases the pipe (closed if it holds bytes) and the buffer; returns the bytes lost.</summary>
    public long Release(RelayContext context)
    {
        long lost = BytesInFlight;
        ReturnPipe(context);
        _pipeBytes = 0;
        ReturnBuffer(context);
        ReleaseFaultQueue();
        return lost;
    }

    /// <summary>
    /// The direction's figures at close, then its pipe and buffer released. Read before the sockets close:
    /// what the destination's send queue still holds is what a reset discards (<paramref name="sendQueueIsLost"/>).
    /// </summary>
    public DirectionTotals TakeTotals(RelayContext context, bool sendQueueIsLost)
    {
        long unsent = sendQueueIsLost ? Math.Min(NativeSocket.SendQueueBytes(DestinationFd, finSent: Finished), BytesDelivered) : 0;
        var totals = new DirectionTotals(BytesDelivered, BytesSpliced, BytesCopied, BytesInFlight, unsent, LastWriteSpliced, Fallback, Finished);
        Release(context);
        return totals;
    }
}
