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

    /// <summary>The capacity the kernel reports (F_GETPIPE_SZ, then each resize's answer): how much one drain may move.</summary>
    public int CapacityBytes { get; private set; }

    /// <summary>Its place among the pool's <see cref="PipeSizeClasses"/>; kept by the pool as the pipe grows.</summary>
    public int SizeClass { get; set; }

    /// <summary>Creates a nonblocking pipe of the kernel's default size; returns null with the errno when the kernel refuses (EMFILE, ENFILE).</summary>
    public static SplicePipe? TryCreate(out int errno)
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
        // Past pipe-user-pages-soft the kernel makes a new pipe of one or two pages: the caller sees it here.
        int capacity = Libc.fcntl(fds[1], Flags.F_GETPIPE_SZ, 0);
        return new SplicePipe(readEnd, writeEnd, capacity > 0 ? capacity : PipeSizeClasses.DefaultCapacityBytes);
    }

    /// <summary>
    /// Asks for a new capacity; only ever on an empty pipe (F_SETPIPE_SZ fails with EBUSY below what a pipe
    /// holds). True when the pipe has at least what was asked; either way <see cref="CapacityBytes"/> is what it has.
    /// </summary>
    public bool TryResize(PipeResizer resize, int requestedBytes, out int errno)
    {
        int capacity = resize(WriteFd, requestedBytes, out errno);
        if (capacity > 0) CapacityBytes = capacity;
        return capacity >= requestedBytes;
    }

    public void Dispose()
    {
        _readEnd.Dispose();
        _writeEnd.Dispose();
    }
}
