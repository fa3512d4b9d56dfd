using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>The splice half of a relay direction: socket → pipe → socket.</summary>
internal unsafe partial struct RelayDirection
{
    // Invariant (docs/ARCHITECTURE.md, invariant 1; Go's splice_linux.go): the source is drained into the pipe only while the
    // pipe is empty. So EAGAIN on drain means "source has nothing now" (wait for readable), and EAGAIN on
    // pump means "destination is full" (wait for writable, without touching the source). A pipe never
    // waits across a readability wait with bytes in it, so "pipe full" is never mistaken for "drained".
    private RelayOutcome? RunSplice(RelayContext context, ref int budget, long nowMs)
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

            if (_pipe is null && !TryRentPipe(context, out FallbackReason reason))
            {
                SwitchToBuffered(context, reason, permanent: false);
                return null;
            }
            GrowPipeIfFilling(context);

            context.Counters.Syscalls++;
            nint drained = Libc.splice(SourceFd, null, _pipe!.WriteFd, null, (nuint)_pipe.CapacityBytes, Flags.SPLICE_F_NONBLOCK);
            if (drained > 0)
            {
                _pipeBytes = (int)drained;
                budget -= (int)drained;
                NoteDrain(drained, nowMs);
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
                EndSpliceBurst(context, nowMs);
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
}
