using System.Net.Sockets;
using System.Text;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// The hand-over conversation on its Unix socket (docs/ARCHITECTURE.md, "Seamless restart"), one line
/// each way and bounded in time: the taker sends <c>ZCPS-TAKE 1</c>; the serving instance answers
/// <c>ZCPS-SOCKETS 1 N</c> and N lines naming its listeners, with the N listening sockets attached
/// (SCM_RIGHTS); the taker answers <c>ZCPS-TAKEN i j ...</c>, the indices it listens on from now on.
/// Both ends accept a peer of their own user (or root) only (SO_PEERCRED).
/// </summary>
internal static unsafe class HandOverWire
{
    public const string Take = "ZCPS-TAKE 1";
    public const string Sockets = "ZCPS-SOCKETS 1";
    public const string Taken = "ZCPS-TAKEN";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private const int SO_PEERCRED = 17;
    private const int SO_RCVTIMEO = 20;
    private const int SO_SNDTIMEO = 21;

    /// <summary>A blocking Unix stream socket whose reads and writes give up after <see cref="Timeout"/>; -1 with errno.</summary>
    public static int CreateBlocking(out int errno)
    {
        int fd = Libc.socket(Flags.AF_UNIX, Flags.SOCK_STREAM | Flags.SOCK_CLOEXEC, 0);
        errno = fd < 0 ? Libc.LastErrno : 0;
        if (fd >= 0) SetTimeouts(fd);
        return fd;
    }

    public static void SetTimeouts(int fd)
    {
        long* timeval = stackalloc long[2] { (long)Timeout.TotalSeconds, 0 };
        Libc.setsockopt(fd, Flags.SOL_SOCKET, SO_RCVTIMEO, (int*)timeval, 16);
        Libc.setsockopt(fd, Flags.SOL_SOCKET, SO_SNDTIMEO, (int*)timeval, 16);
    }

    /// <summary>True when the peer runs as this process's user, or as root.</summary>
    public static bool PeerIsTrusted(int fd)
    {
        int* credentials = stackalloc int[3];
        int length = 12;
        if (Libc.getsockopt(fd, Flags.SOL_SOCKET, SO_PEERCRED, credentials, &length) != 0) return false;
        uint uid = (uint)credentials[1];
        return uid == 0 || uid == EffectiveUid();
    }

    public static int WriteLine(int fd, string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
        return DescriptorPassing.Send(fd, bytes, []);
    }

    /// <summary>Reads until a newline (at most 4 KiB): the line, or null on EOF, error or timeout.</summary>
    public static string? ReadLine(int fd)
    {
        var bytes = new List<byte>();
        byte one;
        while (bytes.Count < 4096)
        {
            nint n = Libc.read(fd, &one, 1);
            if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
            if (n <= 0) return null;
            if (one == (byte)'\n') return Encoding.UTF8.GetString(bytes.ToArray());
            bytes.Add(one);
        }
        return null;
    }

    /// <summary>What a listener is called on the wire: its bound address, or its path for a Unix socket.</summary>
    public static string Describe(Socket socket) => socket.LocalEndPoint?.ToString() ?? "";

    private static uint EffectiveUid()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
        return uint.MaxValue;
    }
}
