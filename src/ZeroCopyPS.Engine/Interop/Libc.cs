using System.Runtime.InteropServices;

namespace ZeroCopyPS.Engine.Interop;

/// <summary>
/// Every native call of the engine, in one place. Signatures are blittable (ints, pointers) so the
/// marshaller adds nothing on the copy path; errno is captured by SetLastError and must be read with
/// <see cref="Marshal.GetLastPInvokeError"/> before any other call.
/// </summary>
internal static unsafe class Libc
{
    private const string Lib = "libc";

    [DllImport(Lib, SetLastError = true)]
    public static extern nint splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint len, uint flags);

    // Measure-SocketCopy -Source File: file → socket without a pipe of ours (sendfile), and the buffered
    // baseline's positioned read (pread), so no copy depends on or moves the file's position.
    [DllImport(Lib, SetLastError = true)]
    public static extern nint sendfile(int fdOut, int fdIn, long* offset, nuint count);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint pread(int fd, byte* buffer, nuint count, long offset);

    [DllImport(Lib, SetLastError = true)]
    public static extern int pipe2(int* fds, int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern int fcntl(int fd, int cmd, int arg);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint read(int fd, byte* buffer, nuint count);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint recv(int fd, byte* buffer, nuint count, int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint write(int fd, byte* buffer, nuint count);

    [DllImport(Lib, SetLastError = true)]
    public static extern int close(int fd);

    [DllImport(Lib, SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport(Lib, SetLastError = true)]
    public static extern int connect(int fd, byte* address, int addressLength);

    [DllImport(Lib, SetLastError = true)]
    public static extern int bind(int fd, byte* address, int addressLength);

    [DllImport(Lib, SetLastError = true)]
    public static extern int listen(int fd, int backlog);

    [DllImport(Lib, SetLastError = true)]
    public static extern int accept4(int fd, byte* address, int* addressLength, int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern int shutdown(int fd, int how);

    [DllImport(Lib, SetLastError = true)]
    public static extern int getsockopt(int fd, int level, int name, int* value, int* length);

    [DllImport(Lib, SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, int* value, int length);

    [DllImport(Lib, SetLastError = true)]
    public static extern int getpeername(int fd, byte* address, int* addressLength);

    [DllImport(Lib, SetLastError = true)]
    public static extern int epoll_create1(int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern int epoll_ctl(int epfd, int op, int fd, byte* epollEvent);

    [DllImport(Lib, SetLastError = true)]
    public static extern int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMilliseconds);

    [DllImport(Lib, SetLastError = true)]
    public static extern int eventfd(uint initialValue, int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [DllImport(Lib, SetLastError = true)]
    public static extern int ioctl(int fd, int request, int* value);

    [DllImport(Lib, SetLastError = true)]
    public static extern int getsockname(int fd, byte* address, int* addressLength);

    [DllImport(Lib, SetLastError = true)]
    public static extern int statx(int directoryFd, byte* path, int flags, uint mask, byte* statxBuffer);

    [DllImport(Lib, SetLastError = true)]
    public static extern int unlink(byte* path);

    [DllImport(Lib, SetLastError = true)]
    public static extern int chmod(byte* path, uint mode);

    [DllImport(Lib, SetLastError = true)]
    public static extern int open(byte* path, int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern int getrlimit(int resource, ulong* limits);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint opendir(byte* path);

    /// <summary>The next entry (a struct dirent the caller does not own), or 0 at the end or on error.</summary>
    [DllImport(Lib, SetLastError = true)]
    public static extern nint readdir(nint directory);

    [DllImport(Lib, SetLastError = true)]
    public static extern int closedir(nint directory);

    // open(2) with a creation mode: the access log is opened O_APPEND (several processes may share one
    // file) and O_NONBLOCK first (a FIFO without a reader must not hold up a proxy's start).
    [DllImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static extern int open(byte* path, int flags, uint mode);

    // sendmsg/recvmsg carry listening sockets to another process (SCM_RIGHTS) for a seamless restart.
    [DllImport(Lib, SetLastError = true)]
    public static extern nint sendmsg(int fd, byte* message, int flags);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint recvmsg(int fd, byte* message, int flags);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
