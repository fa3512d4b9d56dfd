using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>The buffered half of a relay direction: read into a user-space buffer, write from it.</summary>
internal unsafe partial struct RelayDirection
{
    private RelayOutcome? RunBuffered(RelayContext context, ref int budget)
    {
        while (true)
        {
            if (_bufferEnd > _bufferStart)
            {
                if (WriteCopied(context, _buffer!, _bufferStart, _bufferEnd - _bufferStart, out int written) is { } stopped)
                {
                    // While we wait, readiness of the source is ignored (see EpollConnection.OnEvents):
                    // read it again afterwards, whatever the last read suggested.
                    _lastReadDrainedSource = false;
                    return stopped;
                }
                _bufferStart += written;
                continue;
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

    // One write of copied bytes to the destination, counted. Null when some were written (the caller moves its
    // cursor by written); otherwise Blocked (EAGAIN: wait for writability) or Failed. Shared with the fault path.
    private RelayOutcome? WriteCopied(RelayContext context, byte[] data, int offset, int count, out int written)
    {
        nint result;
        context.Counters.Syscalls++;
        fixed (byte* bytes = &data[offset])
            result = Libc.write(DestinationFd, bytes, (nuint)count);
        if (result > 0)
        {
            written = (int)result;
            BytesDelivered += result;
            BytesCopied += result;
            LastWriteSpliced = false;
            Count(context, result, spliced: false);
            return null;
        }
        written = 0;
        int errno = Libc.LastErrno;
        if (result < 0 && errno == Errno.EAGAIN)
        {
            WaitingForWritable = true;
            return RelayOutcome.Blocked;
        }
        return Fail("write(destination)", RelaySide.Destination, result == 0 ? Errno.EPIPE : errno);
    }
}
