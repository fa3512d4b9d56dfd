using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Interop;

/// <summary>Socket calls on raw descriptors, for the sockets the epoll engine drives itself.</summary>
internal static unsafe class NativeSocket
{
    private const int SO_LINGER = 13;

    public static int ToNativeFamily(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Flags.AF_INET,
        AddressFamily.InterNetworkV6 => Flags.AF_INET6,
        AddressFamily.Unix => Flags.AF_UNIX,
        _ => throw new NotSupportedException($"Address family {family} is not a stream socket family the proxy supports."),
    };

    /// <summary>A nonblocking, close-on-exec stream socket, or -1 with errno.</summary>
    public static int TryCreateStream(AddressFamily family, out int errno)
    {
        int fd = Libc.socket(ToNativeFamily(family), Flags.SOCK_STREAM | Flags.SOCK_NONBLOCK | Flags.SOCK_CLOEXEC, 0);
        errno = fd < 0 ? Libc.LastErrno : 0;
        return fd;
    }

    /// <summary>Starts a nonblocking connect: 0 when connected at once, else the errno (EINPROGRESS: wait for writable).</summary>
    public static int StartConnect(int fd, SocketAddress address)
    {
        Span<byte> bytes = address.Buffer.Span[..address.Size];
        fixed (byte* p = bytes)
        {
            return Libc.connect(fd, p, address.Size) == 0 ? 0 : Libc.LastErrno;
        }
    }

    /// <summary>
    /// Asks whether something listens on a Unix socket path, without ever blocking: a nonblocking
    /// AF_UNIX connect answers at once (0 or EAGAIN when a listener exists, even one whose backlog is
    /// full; ECONNREFUSED when the file is a socket nobody listens on). Returns the errno, 0 for "answered".
    /// </summary>
    public static int ProbeUnixListener(UnixDomainSocketEndPoint endPoint)
    {
        int fd = TryCreateStream(AddressFamily.Unix, out int errno);
        if (fd < 0) return errno;
        using var handle = new FileDescriptorHandle(fd);
        return StartConnect(fd, endPoint.Serialize());
    }

    /// <summary>getsockname as an endpoint, or null (unnamed Unix socket, or the call failed).</summary>
    public static EndPoint? GetLocalEndPoint(int fd)
    {
        byte* address = stackalloc byte[128];
        int length = 128;
        return Libc.getsockname(fd, address, &length) == 0 ? Decode(address, length) : null;
    }

    /// <summary>bind(2) of a raw descriptor: 0 or the errno.</summary>
    public static int Bind(int fd, SocketAddress address)
    {
        Span<byte> bytes = address.Buffer.Span[..address.Size];
        fixed (byte* p = bytes)
        {
            return Libc.bind(fd, p, address.Size) == 0 ? 0 : Libc.LastErrno;
        }
    }

    /// <summary>listen(2) of a raw descriptor: 0 or the errno.</summary>
    public static int Listen(int fd, int backlog) => Libc.listen(fd, backlog) == 0 ? 0 : Libc.LastErrno;

    /// <summary>
    /// Bytes a TCP socket has written but its peer's kernel has not acknowledged (SIOCOUTQ): what an
    /// abortive close would discard. 0 when the call fails. SIOCOUTQ counts sequence numbers, and a FIN
    /// takes one: once the write side is shut down (<paramref name="finSent"/>), anything unacknowledged
    /// includes the FIN, which is not a byte (without this, a reset right after a FIN counted one byte of
    /// 100 delivered as lost).
    /// </summary>
    public static long SendQueueBytes(int fd, bool finSent)
    {
        int value = 0;
        long queued = Libc.ioctl(fd, Flags.SIOCOUTQ, &value) == 0 ? Math.Max(0, value) : 0;
        return finSent ? Math.Max(0, queued - 1) : queued;
    }

    /// <summary>SO_ERROR: the outcome of a nonblocking connect.</summary>
    public static int GetPendingError(int fd)
    {
        int value = 0, length = sizeof(int);
        return Libc.getsockopt(fd, Flags.SOL_SOCKET, Flags.SO_ERROR, &value, &length) == 0 ? value : Libc.LastErrno;
    }

    public static void SetNoDelay(int fd)
    {
        int on = 1;
        Libc.setsockopt(fd, Flags.IPPROTO_TCP, Flags.TCP_NODELAY, &on, sizeof(int));
    }

    /// <summary>
    /// Urgent (out-of-band) data stays in the stream: a proxy cannot forward it as OOB, and without
    /// this the kernel would hold the byte aside and it would be lost.
    /// </summary>
    public static void SetOobInline(int fd)
    {
        int on = 1;
        Libc.setsockopt(fd, Flags.SOL_SOCKET, Flags.SO_OOBINLINE, &on, sizeof(int));
    }

    /// <summary>Makes close() send RST: a peer must not mistake an aborted stream for a complete one.</summary>
    public static void SetAbortiveClose(int fd)
    {
        int* linger = stackalloc int[2] { 1, 0 };
        Libc.setsockopt(fd, Flags.SOL_SOCKET, SO_LINGER, linger, 2 * sizeof(int));
    }

    /// <summary>.NET may leave a socket it created blocking; the engine needs every descriptor nonblocking (docs/ARCHITECTURE.md, "Threads": only epoll_wait may block).</summary>
    public static void SetNonBlocking(int fd)
    {
        int flags = Libc.fcntl(fd, Flags.F_GETFL, 0);
        if (flags < 0 || Libc.fcntl(fd, Flags.F_SETFL, flags | Flags.O_NONBLOCK) < 0)
            throw new NativeCallException("fcntl(O_NONBLOCK)", Libc.LastErrno);
    }

    /// <summary>Turns a sockaddr filled by accept4 into an endpoint; null for an unnamed Unix peer.</summary>
    public static EndPoint? Decode(byte* address, int length)
    {
        if (length < 2) return null;
        int family = *(ushort*)address;
        AddressFamily managed = family switch
        {
            Flags.AF_INET => AddressFamily.InterNetwork,
            Flags.AF_INET6 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (managed == AddressFamily.Unknown) return null;
        var socketAddress = new SocketAddress(managed, length);
        new ReadOnlySpan<byte>(address, length).CopyTo(socketAddress.Buffer.Span);
        EndPoint template = managed == AddressFamily.InterNetwork ? new IPEndPoint(IPAddress.Any, 0) : new IPEndPoint(IPAddress.IPv6Any, 0);
        return template.Create(socketAddress);
    }
}
