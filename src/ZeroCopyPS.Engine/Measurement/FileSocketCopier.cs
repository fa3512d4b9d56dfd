using System.Net.Sockets;
using ZeroCopyPS.Engine.Epoll;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// Go's <c>io.Copy(conn, file)</c>: sends a whole <see cref="CopySourceFile"/> to a connected stream socket,
/// then shuts the socket's write side (as <see cref="SocketCopier"/> does at the source's EOF). Three methods:
/// Sendfile, sendfile(2) file → socket, what Go does for an *os.File; Splice, splice(2) file → pipe → socket;
/// Buffered, pread(2) into a user-space buffer and write(2) out of it. Every read names its offset, so the
/// file's position never matters. Blocks the calling thread (poll(2) after an EAGAIN). Keeps its pipe and
/// buffer across calls, so a steady series of copies allocates nothing. Not thread-safe: one copy at a time.
/// See docs/ARCHITECTURE.md, "Measurement".
/// </summary>
public sealed unsafe class FileSocketCopier : IDisposable
{
    // sendfile(2) moves at most 0x7ffff000 bytes per call; Go asks for 4 MiB at a time (a nonblocking socket
    // takes what its buffer has room for either way).
    private const long SendfileChunkBytes = 4L << 20;

    private readonly int _pipeSizeBytes;
    private readonly byte[] _buffer;
    private SplicePipe? _pipe;
    private long _syscalls;

    public FileSocketCopier(CopyMethod method, int pipeSizeBytes = 0, int bufferSizeBytes = 64 * 1024)
    {
        if (method is not (CopyMethod.Sendfile or CopyMethod.Splice or CopyMethod.Buffered))
            throw new ArgumentOutOfRangeException(nameof(method), method, "A file source is copied with Sendfile, Splice or Buffered; Auto is the proxy's socket-to-socket mode.");
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException($"Copying from a file with {method} uses Linux system calls.");
        Method = method;
        _pipeSizeBytes = pipeSizeBytes;
        // Pinned once: the copy passes its address to pread/write without a fixed block per call.
        _buffer = method == CopyMethod.Buffered ? GC.AllocateUninitializedArray<byte>(bufferSizeBytes, pinned: true) : Array.Empty<byte>();
    }

    public CopyMethod Method { get; }

    /// <summary>Effective pipe size after the first Splice copy; 0 before (and for the other methods).</summary>
    public int PipeCapacityBytes => _pipe?.CapacityBytes ?? 0;

    /// <summary>Sends every byte of <paramref name="file"/>; throws <see cref="NativeCallException"/> naming the failed call.</summary>
    public SocketCopyResult Copy(CopySourceFile file, Socket destination, CancellationToken cancellationToken = default)
    {
        int fileFd = file.Fd, socketFd = (int)destination.Handle;
        NativeSocket.SetNonBlocking(socketFd);
        _syscalls = 0;
        long length = file.LengthBytes;
        long sent;
        try
        {
            sent = Method switch
            {
                CopyMethod.Sendfile => Sendfile(fileFd, length, socketFd, cancellationToken),
                CopyMethod.Splice => Splice(fileFd, length, socketFd, cancellationToken),
                _ => Buffered(fileFd, length, socketFd, cancellationToken),
            };
        }
        catch
        {
            // A copy cut short may leave bytes in the pipe: the next copy must not send them to its socket.
            _pipe?.Dispose();
            _pipe = null;
            throw;
        }
        _syscalls++;
        if (Libc.shutdown(socketFd, Flags.SHUT_WR) != 0) throw new NativeCallException("shutdown(destination, SHUT_WR)", Libc.LastErrno);
        (CopyPath path, long spliced, long copied) = Method switch
        {
            CopyMethod.Sendfile => (CopyPath.Sendfile, 0L, 0L),
            CopyMethod.Splice => (CopyPath.Splice, sent, 0L),
            _ => (CopyPath.Buffered, 0L, sent),
        };
        return new SocketCopyResult(sent, spliced, copied, _syscalls, sent == 0 ? CopyPath.None : path, FallbackReason.None);
    }

    private long Sendfile(int fileFd, long length, int socketFd, CancellationToken cancellationToken)
    {
        long offset = 0;   // sendfile advances it
        while (offset < length)
        {
            _syscalls++;
            nint moved = Libc.sendfile(socketFd, fileFd, &offset, (nuint)Math.Min(length - offset, SendfileChunkBytes));
            if (moved > 0) continue;
            if (moved == 0) throw ShortFile("sendfile", offset, length);
            int errno = Libc.LastErrno;
            if (errno == Errno.EAGAIN) WaitWritable(socketFd, cancellationToken);
            else if (errno != Errno.EINTR) throw new NativeCallException("sendfile(file→destination)", errno);
        }
        return offset;
    }

    // The pipe is refilled from the file whenever it has room (a page-cache read never waits), and drained
    // into the socket; only a full socket buffer makes the copy wait.
    private long Splice(int fileFd, long length, int socketFd, CancellationToken cancellationToken)
    {
        if (_pipe is null)
        {
            _pipe = SplicePipe.TryCreate(out int pipeErrno) ?? throw new NativeCallException("pipe2", pipeErrno);
            // A refused resize (above pipe-max-size) is not an error: the copy uses the capacity the pipe has.
            if (_pipeSizeBytes > _pipe.CapacityBytes) _pipe.TryResize(PipePool.KernelResize, _pipeSizeBytes, out _);
        }
        int capacity = _pipe.CapacityBytes, inPipe = 0;
        long offset = 0, sent = 0;
        while (sent < length)
        {
            if (offset < length && inPipe < capacity)
            {
                _syscalls++;
                nint filled = Libc.splice(fileFd, &offset, _pipe.WriteFd, null, (nuint)Math.Min(length - offset, capacity - inPipe), Flags.SPLICE_F_NONBLOCK);
                if (filled > 0) inPipe += (int)filled;
                else if (filled == 0) throw ShortFile("splice", offset, length);
                else
                {
                    int errno = Libc.LastErrno;
                    // A full pipe holding none of this copy's bytes would make the loop spin for ever.
                    if (errno == Errno.EAGAIN && inPipe == 0) throw new InvalidOperationException("splice(file→pipe) found the pipe full before this copy put a byte in it.");
                    if (errno != Errno.EAGAIN && errno != Errno.EINTR) throw new NativeCallException("splice(file→pipe)", errno);
                }
            }
            if (inPipe == 0) continue;
            _syscalls++;
            nint pumped = Libc.splice(_pipe.ReadFd, null, socketFd, null, (nuint)inPipe, Flags.SPLICE_F_NONBLOCK);
            if (pumped > 0)
            {
                inPipe -= (int)pumped;
                sent += pumped;
                continue;
            }
            int pumpErrno = pumped == 0 ? Errno.EPIPE : Libc.LastErrno;
            if (pumpErrno == Errno.EAGAIN) WaitWritable(socketFd, cancellationToken);
            else if (pumpErrno != Errno.EINTR) throw new NativeCallException("splice(pipe→destination)", pumpErrno);
        }
        return sent;
    }

    private long Buffered(int fileFd, long length, int socketFd, CancellationToken cancellationToken)
    {
        long offset = 0;
        fixed (byte* buffer = _buffer)
        {
            while (offset < length)
            {
                _syscalls++;
                nint read = Libc.pread(fileFd, buffer, (nuint)Math.Min(_buffer.Length, length - offset), offset);
                if (read == 0) throw ShortFile("pread", offset, length);
                if (read < 0)
                {
                    int errno = Libc.LastErrno;
                    if (errno == Errno.EINTR) continue;
                    throw new NativeCallException("pread(file)", errno);
                }
                for (nint written = 0; written < read;)
                {
                    _syscalls++;
                    nint n = Libc.write(socketFd, buffer + written, (nuint)(read - written));
                    if (n > 0) { written += n; continue; }
                    int errno = n == 0 ? Errno.EPIPE : Libc.LastErrno;
                    if (errno == Errno.EAGAIN) WaitWritable(socketFd, cancellationToken);
                    else if (errno != Errno.EINTR) throw new NativeCallException("write(destination)", errno);
                }
                offset += read;
            }
        }
        return offset;
    }

    private void WaitWritable(int fd, CancellationToken cancellationToken)
    {
        var poll = new PollFd { Fd = fd, Events = PollFd.POLLOUT };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _syscalls++;
            int ready = Libc.poll(&poll, 1, 200);   // the timeout only serves to notice cancellation
            if (ready > 0) return;
            if (ready < 0 && Libc.LastErrno is var errno && errno != Errno.EINTR) throw new NativeCallException("poll", errno);
        }
    }

    private static IOException ShortFile(string call, long offset, long length) =>
        new($"{call} reached the end of the file at byte {offset} of {length}: the measurement file was shortened while it was sent.");

    public void Dispose()
    {
        _pipe?.Dispose();
        _pipe = null;
    }
}
