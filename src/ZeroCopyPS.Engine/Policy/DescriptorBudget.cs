using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The descriptors every proxy of the process may hold for connections and pipes, kept below the
/// process's limit (RLIMIT_NOFILE) with headroom for the runtime and the PowerShell host: a process out
/// of descriptors cannot load an assembly or start a thread, and dies (docs/ARCHITECTURE.md,
/// "Descriptors"). A connection reserves two descriptors before it is accepted (client and target), a
/// pipe two before it is made; at the budget accepting pauses (clients wait in the kernel backlog) and
/// directions copy through buffers instead of pipes. Process-wide because the limit is.
/// </summary>
internal static class DescriptorBudget
{
    /// <summary>Descriptors one proxied connection holds: the client's and the target's socket.</summary>
    public const int PerConnection = 2;

    /// <summary>Descriptors one pipe holds: its two ends.</summary>
    public const int PerPipe = 2;

    private static readonly object RefreshLock = new();
    private static long _held;
    private static long _allowance = long.MaxValue;
    private static long _limit;
    private static FileDescriptorHandle? _reserve;

    /// <summary>The soft RLIMIT_NOFILE when last read; 0 where it cannot be read.</summary>
    public static long Limit => Volatile.Read(ref _limit);

    /// <summary>Descriptors the engines may hold at most (connections and pipes of every proxy).</summary>
    public static long Allowance => Volatile.Read(ref _allowance);

    /// <summary>Descriptors the engines hold or have reserved now.</summary>
    public static long Held => Interlocked.Read(ref _held);

    /// <summary>
    /// Kept free for the runtime and the host: an eighth of the limit, at least 32, at most 1024. The
    /// runtime needs two for every thread it starts (a pipe, briefly) and two for every assembly it
    /// loads; a pwsh with the module loaded already holds about 180.
    /// </summary>
    public static long Headroom(long limit) => Math.Clamp(limit / 8, 32, 1024);

    /// <summary>
    /// How often what the rest of the process holds is counted again (it grows as assemblies load):
    /// rarely while the engines hold little, often once they hold half the allowance, since the count
    /// costs in proportion to the descriptors open.
    /// </summary>
    private const int RecountTickMilliseconds = 5_000;
    private const int RelaxedRecountMilliseconds = 60_000;
    private static long _nextRelaxedRecountMs;

    // Counts again on a timer thread once the first proxy started: counting allocates, and the event
    // loops' steady state must not.
    private static Timer? _recount;

    /// <summary>
    /// Re-reads the limit and what the rest of the process uses (every open descriptor the engines do
    /// not account for), and takes the reserve descriptor. Called when a proxy starts and whenever
    /// accept meets EMFILE (the estimate was off).
    /// </summary>
    public static void Refresh()
    {
        lock (RefreshLock)
        {
            long limit = ReadSoftLimit();
            int open = CountOpenDescriptors();
            Volatile.Write(ref _limit, limit);
            if (limit <= 0 || open < 0)
            {
                Volatile.Write(ref _allowance, long.MaxValue); // nothing to go by (not Linux): no budget
                return;
            }
            EnsureReserve();
            _recount ??= new Timer(_ => RecountIfDue(), null, RecountTickMilliseconds, RecountTickMilliseconds);
            Volatile.Write(ref _nextRelaxedRecountMs, Environment.TickCount64 + RelaxedRecountMilliseconds);
            long others = Math.Max(0, open - Held);
            Volatile.Write(ref _allowance, Math.Max(0, limit - Headroom(limit) - others));
        }
    }

    private static void RecountIfDue()
    {
        if (Held * 2 >= Allowance || Environment.TickCount64 >= Volatile.Read(ref _nextRelaxedRecountMs)) Refresh();
    }

    /// <summary>How many connections the budget can carry at once, with no pipe in use.</summary>
    public static int AffordableConnections => (int)Math.Min(int.MaxValue, Allowance / PerConnection);

    public static bool TryReserve(int descriptors)
    {
        if (Interlocked.Add(ref _held, descriptors) <= Allowance) return true;
        Interlocked.Add(ref _held, -descriptors);
        return false;
    }

    public static void Release(int descriptors) => Interlocked.Add(ref _held, -descriptors);

    /// <summary>
    /// accept(2) failed with EMFILE or ENFILE although the budget allowed it: frees the reserve
    /// descriptor, accepts one pending client and resets it at once, then takes the reserve back, so a
    /// client is told at once instead of waiting in a backlog nobody can serve (the accept-and-close
    /// trick of libuv and HAProxy). Returns true when a client was refused.
    /// </summary>
    public static unsafe bool RefuseOnePending(int listenFd)
    {
        if (!OperatingSystem.IsLinux()) return false;
        lock (RefreshLock)
        {
            _reserve?.Dispose();
            _reserve = null;
            int fd = Libc.accept4(listenFd, null, null, Flags.SOCK_NONBLOCK | Flags.SOCK_CLOEXEC);
            if (fd >= 0)
            {
                NativeSocket.SetAbortiveClose(fd);
                Libc.close(fd);
            }
            EnsureReserve();
            return fd >= 0;
        }
    }

    private static unsafe void EnsureReserve()
    {
        if (_reserve is not null || !OperatingSystem.IsLinux()) return;
        fixed (byte* path = "/dev/null\0"u8)
        {
            int fd = Libc.open(path, Flags.O_RDONLY | Flags.O_CLOEXEC);
            if (fd >= 0) _reserve = new FileDescriptorHandle(fd);
        }
    }

    private static unsafe long ReadSoftLimit()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        ulong* limits = stackalloc ulong[2];
        if (Libc.getrlimit(Flags.RLIMIT_NOFILE, limits) != 0) return 0;
        return limits[0] >= long.MaxValue ? long.MaxValue : (long)limits[0];
    }

    /// <summary>
    /// Entries of /proc/self/fd (this count's own directory descriptor included), or -1 where there is no
    /// such folder. Read with readdir alone: Directory.EnumerateFileSystemEntries would stat every entry
    /// twice and allocate its path, which with 100,000 connections open costs tenths of a second each
    /// time, and the listeners' timers recount every few seconds.
    /// </summary>
    internal static unsafe int CountOpenDescriptors()
    {
        if (!OperatingSystem.IsLinux()) return -1;
        nint directory;
        fixed (byte* path = "/proc/self/fd\0"u8) directory = Libc.opendir(path);
        if (directory == 0) return -1;
        int entries = 0;
        try
        {
            while (Libc.readdir(directory) != 0) entries++;
        }
        finally
        {
            Libc.closedir(directory);
        }
        return entries - 2; // "." and ".."
    }
}
