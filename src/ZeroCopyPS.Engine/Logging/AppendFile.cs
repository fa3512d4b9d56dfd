using System.Text;
using Microsoft.Win32.SafeHandles;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Logging;

/// <summary>
/// The access log's file descriptor: opened O_APPEND, so several processes (instances side by side with
/// ReusePort) can share one file without overwriting each other's lines, and written with write(2) in
/// whole batches. A FIFO is opened nonblocking first: without a reader that answers ENXIO at once, and
/// the blocking open is left to the writer thread (docs/ARCHITECTURE.md, "Access log").
/// </summary>
internal static unsafe class AppendFile
{
    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const int ENXIO = 6;

    /// <summary>rw-r-----: the log names clients; its group (a log shipper) may read it, others not.</summary>
    private const uint Mode = 0b110_100_000;

    /// <summary>
    /// Opens without ever blocking: a handle, or null when the path is a FIFO nobody reads yet
    /// (<paramref name="errno"/> is then 0 and the caller opens it later with <see cref="OpenBlocking"/>).
    /// Null with an errno when the path cannot be opened at all.
    /// </summary>
    public static SafeFileHandle? TryOpen(string path, out int errno)
    {
        SafeFileHandle? handle = Open(path, Flags.O_NONBLOCK, out errno);
        if (handle is null && errno == ENXIO) errno = 0;
        if (handle is not null) MakeBlocking(handle);
        return handle;
    }

    /// <summary>Writer thread only: opens and waits for a FIFO's reader if need be.</summary>
    public static SafeFileHandle? OpenBlocking(string path, out int errno) => Open(path, 0, out errno);

    /// <summary>Writes all of <paramref name="bytes"/>: 0, or the errno of the failing write and how much went out before it.</summary>
    public static int WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> bytes, out int written)
    {
        written = 0;
        int fd = (int)handle.DangerousGetHandle();
        fixed (byte* p = bytes)
        {
            while (written < bytes.Length)
            {
                nint n = Libc.write(fd, p + written, (nuint)(bytes.Length - written));
                if (n >= 0)
                {
                    written += (int)n;
                    continue;
                }
                int errno = Libc.LastErrno;
                if (errno != Errno.EINTR) return errno;
            }
        }
        return 0;
    }

    private static SafeFileHandle? Open(string path, int extraFlags, out int errno)
    {
        byte[] name = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, name);
        int fd;
        fixed (byte* p = name)
        {
            do fd = Libc.open(p, O_WRONLY | O_CREAT | O_APPEND | Flags.O_CLOEXEC | extraFlags, Mode);
            while (fd < 0 && Libc.LastErrno == Errno.EINTR);
        }
        errno = fd < 0 ? Libc.LastErrno : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    // Writes go out on the log's own thread, which may wait for a slow disk or a FIFO's reader.
    private static void MakeBlocking(SafeFileHandle handle)
    {
        int fd = (int)handle.DangerousGetHandle();
        int flags = Libc.fcntl(fd, Flags.F_GETFL, 0);
        if (flags >= 0) Libc.fcntl(fd, Flags.F_SETFL, flags & ~Flags.O_NONBLOCK);
    }
}
