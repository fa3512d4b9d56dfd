using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One direction of a relay (source socket → destination socket), driven by its event loop thread
/// only. Moves bytes with splice (socket → pipe → socket) or through a user-space buffer, and holds
/// a pipe or a buffer only while it has bytes in flight.
/// A mutable struct kept as a field of its connection: two per connection, no extra objects.
/// </summary>
internal unsafe struct RelayDirection
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
    public readonly long BytesInFlight => _pipeBytes + (_bufferEnd - _bufferStart);

    public RelayOutcome Run(RelayContext context, long nowMs)
    {
        int budget = context.BudgetBytesPerRun;
        long deliveredBefore = BytesDelivered;
        try
        {
            while (true)
            {
                RelayOutcome? outcome = _useSplice ? RunSplice(context, ref budget) : RunBuffered(context, ref budget);
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

    // Invariant (docs/ARCHITECTURE.md, invariant 1; Go's splice_linux.go): the source is drained into the pipe only while the
    // pipe is empty. So EAGAIN on drain means "source has nothing now" (wait for readable), and EAGAIN on
    // pump means "destination is full" (wait for writable, without touching the source). A pipe never
    // waits across a readability wait with bytes in it, so "pipe full" is never mistaken for "drained".
    private RelayOutcome? RunSplice(RelayContext context, ref int budget)
    {
        while (true)
        {
            if (_pipeBytes > 0)
            {
                context.Counters.Syscalls++;
                nint pumped = Libc.splice(_pipe!.ReadFd, null, DestinationFd, null, (nuint)_pipeBytes, Flags.SPLICE_F_NONBLOCK);
                if (pumped > 0)
                {
                    _pipeBytes -= (int)pumped;
                    BytesDelivered += pumped;
                    BytesSpliced += pumped;
                    LastWriteSpliced = true;
                    Count(context, pumped, spliced: true);
                    continue;
                }
                int errno = Libc.LastErrno;
                if (pumped < 0 && errno == Errno.EAGAIN)
                {
                    WaitingForWritable = true;
                    return RelayOutcome.Blocked;
                }
                // splice returning 0 from a non-empty pipe cannot happen; treat it like a broken destination.
                return Fail("splice(pipe→destination)", RelaySide.Destination, pumped == 0 ? Errno.EPIPE : errno);
            }

            WaitingForWritable = false;
            if (_sourceEof) return FinishAfterEof(context);
            if (budget <= 0) return RelayOutcome.MoreWork;

            // TCP urgent data: splice stops at the urgent mark and returns EAGAIN for ever (tcp_read_sock
            // cannot step past it); read(2) can, and with SO_OOBINLINE forwards the byte in-band.
            if (_urgentDataSeen)
            {
                ReturnPipe(context);
                SwitchToBuffered(context, FallbackReason.UrgentData, permanent: true);
                return null;
            }

            if (_pipe is null)
            {
                _pipe = context.Pipes.TryRent(out FallbackReason reason);
                if (_pipe is null)
                {
                    SwitchToBuffered(context, reason, permanent: false);
                    return null;
                }
            }

            context.Counters.Syscalls++;
            nint drained = Libc.splice(SourceFd, null, _pipe.WriteFd, null, (nuint)_pipe.CapacityBytes, Flags.SPLICE_F_NONBLOCK);
            if (drained > 0)
            {
                _pipeBytes = (int)drained;
                budget -= (int)drained;
                continue;
            }
            if (drained == 0)
            {
                _sourceEof = true;
                continue;
            }
            int drainErrno = Libc.LastErrno;
            if (drainErrno == Errno.EAGAIN)
            {
                ReturnPipe(context);
                return RelayOutcome.Blocked;
            }
            // docs/ARCHITECTURE.md, invariant 4: "not handled" only when nothing moved yet; later the same errno is a real failure.
            // BytesSpliced, not BytesDelivered: Auto mode has copied bytes before its first splice.
            if (FailureClassifier.Classify(drainErrno) == FailureKind.NotSupported && BytesSpliced == 0)
            {
                ReturnPipe(context);
                SwitchToBuffered(context, FallbackReason.SpliceNotSupported, permanent: true);
                return null;
            }
            return Fail("splice(source→pipe)", RelaySide.Source, drainErrno);
        }
    }

    // Invariant: same as the splice path, with the buffer in the pipe's place. The source is read only
    // while the buffer is empty, so every EAGAIN means exactly one thing. One addition: a short read
    // that was written out without waiting counts as the source's EAGAIN (see the skip below); the
    // splice path cannot do this, since a drain also comes back short when the pipe's slots are full.
    private RelayOutcome? RunBuffered(RelayContext context, ref int budget)
    {
        while (true)
        {
            if (_bufferEnd > _bufferStart)
            {
                nint written;
                context.Counters.Syscalls++;
                fixed (byte* data = &_buffer![_bufferStart])
                    written = Libc.write(DestinationFd, data, (nuint)(_bufferEnd - _bufferStart));
                if (written > 0)
                {
                    _bufferStart += (int)written;
                    BytesDelivered += written;
                    BytesCopied += written;
                    LastWriteSpliced = false;
                    Count(context, written, spliced: false);
                    continue;
                }
                int errno = Libc.LastErrno;
                if (written < 0 && errno == Errno.EAGAIN)
                {
                    // While we wait, readiness of the source is ignored (see EpollConnection.OnEvents):
                    // read it again afterwards, whatever the last read suggested.
                    _lastReadDrainedSource = false;
                    WaitingForWritable = true;
                    return RelayOutcome.Blocked;
                }
                return Fail("write(destination)", RelaySide.Destination, written == 0 ? Errno.EPIPE : errno);
            }

            WaitingForWritable = false;
            if (_sourceEof) return FinishAfterEof(context);
            if (_switchToSplicePending)
            {
                _switchToSplicePending = false;
                _lastReadDrainedSource = false; // the splice path drains to EAGAIN; the hint must not outlive it
                ReturnBuffer(context);
                _useSplice = true;
                return null;
            }
            if (budget <= 0) return RelayOutcome.MoreWork;
            // A stream socket's read comes back short only when its queue ran empty; any byte that
            // arrives later raises a new edge. So the read that would only return EAGAIN is skipped
            // (nginx does the same) unless a hang-up may be queued with no edge left to announce it.
            if (_lastReadDrainedSource && !_sourceHangupSeen)
            {
                _lastReadDrainedSource = false;
                EndOfBurst(context);
                return RelayOutcome.Blocked;
            }

            _buffer ??= context.Buffers.Rent();
            nint read;
            context.Counters.Syscalls++;
            fixed (byte* data = _buffer)
                read = Libc.read(SourceFd, data, (nuint)_buffer.Length);
            if (read > 0)
            {
                _bufferStart = 0;
                _bufferEnd = (int)read;
                budget -= (int)read;
                _lastReadDrainedSource = read < _buffer.Length;
                // Auto (HAProxy's splice-auto): a large read means this direction streams; splice from now on.
                if (context.Mode == CopyMode.Auto && _spliceUsable && read >= context.AutoSpliceThresholdBytes)
                    _switchToSplicePending = true;
                continue;
            }
            if (read == 0)
            {
                _sourceEof = true;
                continue;
            }
            int readErrno = Libc.LastErrno;
            if (readErrno == Errno.EAGAIN)
            {
                EndOfBurst(context);
                return RelayOutcome.Blocked;
            }
            return Fail("read(source)", RelaySide.Source, readErrno);
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
        return lost;
    }
}
