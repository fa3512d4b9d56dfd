using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>A kernel pipe used as the splice buffer between two sockets: both ends owned here.</summary>
internal sealed unsafe class SplicePipe : IDisposable
{
    private readonly FileDescriptorHandle _readEnd;
    private readonly FileDescriptorHandle _writeEnd;

    private SplicePipe(FileDescriptorHandle readEnd, FileDescriptorHandle writeEnd, int capacityBytes)
    {
        _readEnd = readEnd;
        _writeEnd = writeEnd;
        CapacityBytes = capacityBytes;
    }

    public int ReadFd => _readEnd.Fd;

    public int WriteFd => _writeEnd.Fd;

    /// <summary>F_GETPIPE_SZ after any resize: how much one drain may move.</summary>
    public int CapacityBytes { get; }

    /// <summary>Creates a nonblocking pipe; returns null with the errno when the kernel refuses (EMFILE, ENFILE, pipe-user-pages-soft).</summary>
    public static SplicePipe? TryCreate(int requestedSizeBytes, out int errno)
    {
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Flags.O_NONBLOCK | Flags.O_CLOEXEC) != 0)
        {
            errno = Libc.LastErrno;
            return null;
        }
        errno = 0;
        var readEnd = new FileDescriptorHandle(fds[0]);
        var writeEnd = new FileDescriptorHandle(fds[1]);
        // A refused resize (EPERM above pipe-max-size, EBUSY) is not an error; report what we got.
        if (requestedSizeBytes > 0) Libc.fcntl(fds[1], Flags.F_SETPIPE_SZ, requestedSizeBytes);
        int capacity = Libc.fcntl(fds[1], Flags.F_GETPIPE_SZ, 0);
        return new SplicePipe(readEnd, writeEnd, capacity > 0 ? capacity : 64 * 1024);
    }

    public void Dispose()
    {
        _readEnd.Dispose();
        _writeEnd.Dispose();
    }
}
