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
}
