using System.Net.Sockets;
using ZeroCopyPS.Engine.Epoll;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// Go's <c>io.Copy(dst, src)</c> between two connected stream sockets, with the proxy's own relay code:
/// copies until the source's EOF, then shuts the destination's write side. Blocks the calling thread
/// (poll(2) between EAGAINs). Keeps its pipe and buffer pools across calls, like Go's pipe pool, so a
/// steady series of copies allocates nothing. Not thread-safe: one copy at a time per instance.
/// </summary>
public sealed unsafe class SocketCopier : IDisposable
{
    private readonly RelayContext _context;
    private readonly LoopPipeCache _pipes;

    public SocketCopier(CopyMode mode, int pipeSizeBytes = 0, int bufferSizeBytes = 64 * 1024)
    {
        if (mode != CopyMode.Buffered && !OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException($"CopyMode {mode} needs splice(2), which only Linux has. Use CopyMode Buffered here.");
        Mode = mode;
        _pipes = new LoopPipeCache(new PipePool(maxPipes: 1, long.MaxValue, PipeSizeClasses.Fixed(pipeSizeBytes)));
        _context = new RelayContext(_pipes, new BufferPool(bufferSizeBytes), mode, ProxyOptionsDefaults.AutoSpliceThresholdBytes)
        {
            BudgetBytesPerRun = int.MaxValue,
        };
    }

    public CopyMode Mode { get; }

    /// <summary>Effective pipe size after the first splice copy; 0 before.</summary>
    public int PipeCapacityBytes => _pipes.Pool.LastCapacityBytes;

    /// <summary>Copies source → destination until EOF; throws <see cref="NativeCallException"/> naming the failed call.</summary>
    public SocketCopyResult Copy(Socket source, Socket destination, CancellationToken cancellationToken = default)
    {
        int sourceFd = (int)source.Handle, destinationFd = (int)destination.Handle;
        NativeSocket.SetNonBlocking(sourceFd);
        NativeSocket.SetNonBlocking(destinationFd);
        NativeSocket.SetOobInline(sourceFd); // an urgent byte is copied in-band, as the proxy does
        long syscallsBefore = _context.Counters.Syscalls;
        var direction = new RelayDirection(sourceFd, destinationFd, clientToTarget: true, Mode, Environment.TickCount64);
        try
        {
            // Invariant: Run returns Blocked only after an EAGAIN, so one poll for the side it waits on
            // is enough before running again; a poll timeout only serves to notice cancellation.
            while (true)
            {
                RelayOutcome outcome = direction.Run(_context, Environment.TickCount64);
                if (outcome == RelayOutcome.Finished) break;
                if (outcome == RelayOutcome.Failed) throw new NativeCallException(direction.FailedCall!, direction.FailureErrno);
                if (outcome == RelayOutcome.Blocked && Wait(direction.WaitingForWritable ? destinationFd : sourceFd, direction.WaitingForWritable, cancellationToken))
                    direction.NoteUrgentData();
            }
        }
        finally
        {
            direction.Release(_context);
        }
        long spliced = direction.BytesSpliced, copied = direction.BytesCopied;
        return new SocketCopyResult(direction.BytesDelivered, spliced, copied, _context.Counters.Syscalls - syscallsBefore,
            CopyPathClassifier.Classify(spliced, copied), direction.Fallback);
    }

    // Returns true when the source has TCP urgent data (POLLPRI): splice cannot read past it.
    private bool Wait(int fd, bool writable, CancellationToken cancellationToken)
    {
        var poll = new PollFd { Fd = fd, Events = writable ? PollFd.POLLOUT : (short)(PollFd.POLLIN | PollFd.POLLPRI) };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _context.Counters.Syscalls++;
            int ready = Libc.poll(&poll, 1, 200);
            if (ready > 0) return (poll.ReturnedEvents & PollFd.POLLPRI) != 0;
            if (ready < 0 && Libc.LastErrno is var errno && errno != Errno.EINTR) throw new NativeCallException("poll", errno);
        }
    }

    public void Dispose() => _pipes.Dispose();
}
