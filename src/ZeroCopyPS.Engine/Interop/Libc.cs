using System.Runtime.InteropServices;

namespace ZeroCopyPS.Engine.Interop;

/// <summary>
/// Every native call of the engine, in one place. Signatures are blittable (ints, pointers) so the
/// marshaller adds nothing on the copy path; errno is captured by SetLastError and must be read with
/// <see cref="Marshal.GetLastPInvokeError"/> before any other call. LibraryImport: the errno handling is
/// generated at build time around a plain blittable call, which the JIT can inline, where DllImport with
/// SetLastError went through a runtime-generated stub (docs/benchmarks.md, "Hot path").
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint len, uint flags);

    // Measure-SocketCopy -Source File: file → socket without a pipe of ours (sendfile), and the buffered
    // baseline's positioned read (pread), so no copy depends on or moves the file's position.
    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendfile(int fdOut, int fdIn, long* offset, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nuint count, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int connect(int fd, byte* address, int addressLength);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int bind(int fd, byte* address, int addressLength);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int accept4(int fd, byte* address, int* addressLength, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, int* value, int* length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, int* value, int length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getpeername(int fd, byte* address, int* addressLength);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, byte* epollEvent);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(int fd, int request, int* value);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockname(int fd, byte* address, int* addressLength);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int statx(int directoryFd, byte* path, int flags, uint mask, byte* statxBuffer);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unlink(byte* path);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int chmod(byte* path, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int open(byte* path, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getrlimit(int resource, ulong* limits);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint opendir(byte* path);

    /// <summary>The next entry (a struct dirent the caller does not own), or 0 at the end or on error.</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint readdir(nint directory);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int closedir(nint directory);

    // open(2) with a creation mode: the access log is opened O_APPEND (several processes may share one
    // file) and O_NONBLOCK first (a FIFO without a reader must not hold up a proxy's start).
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    // sendmsg/recvmsg carry listening sockets to another process (SCM_RIGHTS) for a seamless restart.
    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendmsg(int fd, byte* message, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recvmsg(int fd, byte* message, int flags);

    // Measure-SocketCopy's per-thread CPU clock (ThreadCpuClock); time points at two longs (struct timespec).
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int clock_gettime(int clockId, long* time);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
