namespace ZeroCopyPS.Engine.Interop;

/// <summary>Linux constants for the calls in <see cref="Libc"/>.</summary>
internal static class Flags
{
    // splice(2): NONBLOCK only. SPLICE_F_MORE stalls 200 ms on TCP (golang/go#10948); MOVE is a no-op.
    public const uint SPLICE_F_NONBLOCK = 0x02;

    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_SETPIPE_SZ = 1031;
    public const int F_GETPIPE_SZ = 1032;

    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = O_NONBLOCK;
    public const int SOCK_CLOEXEC = O_CLOEXEC;

    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_OOBINLINE = 10;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;

    public const int SHUT_WR = 1;

    public const int MSG_PEEK = 0x2;

    public const int EPOLL_CLOEXEC = O_CLOEXEC;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLPRI = 0x002;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const uint EPOLLET = 1u << 31;

    /// <summary>ioctl: bytes in a socket's send queue not yet acknowledged by the peer (TIOCOUTQ).</summary>
    public const int SIOCOUTQ = 0x5411;

    public const int O_RDONLY = 0;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_MODE = 0x2;
    public const uint STATX_INO = 0x100;
    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;
    public const int S_IFLNK = 0xA000;
    public const int S_IFREG = 0x8000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFIFO = 0x1000;

    public const int RLIMIT_NOFILE = 7;

    public const int EFD_NONBLOCK = O_NONBLOCK;
    public const int EFD_CLOEXEC = O_CLOEXEC;
}
