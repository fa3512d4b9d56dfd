using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Listening;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One loop's watch on a listening socket. Every loop registers the same socket with EPOLLEXCLUSIVE, so
/// the kernel wakes one waiting loop per arrival; that loop accepts (accept4, nonblocking, so no accepted
/// descriptor is ever known to .NET's own epoll) and keeps the connection: no cross-thread hand-off, and
/// a busy loop, not sleeping in epoll_wait, is not the one woken (docs/ARCHITECTURE.md, "Accept"). At the
/// connection limit or the descriptor budget it stops accepting (clients wait in the kernel backlog)
/// until a connection closes or its next timer finds room.
/// </summary>
internal sealed unsafe class EpollListener : IEventHandler
{
    private const int MaxAcceptsPerWake = 64;
    private const long RetryMilliseconds = 100;

    private readonly EpollEngine _engine;
    private readonly EventLoop _loop;
    private readonly BoundListener _bound;
    private readonly int _fd;
    private int _slot = -1;
    private bool _closed;
    private bool _runScheduled;
    private int _paused;

    public EpollListener(EpollEngine engine, EventLoop loop, BoundListener bound)
    {
        _engine = engine;
        _loop = loop;
        _bound = bound;
        _fd = (int)bound.Socket.Handle;
    }

    public EventLoop Loop => _loop;

    public string ListenText => _bound.ListenText;

    public bool IsUnix => _bound.IsUnix;

    public long DeadlineMs { get; set; }

    public int TimerIndex { get; set; } = -1;

    public int AliveIndex { get; set; } = -1;

    /// <summary>Loop thread: starts accepting.</summary>
    public void Open()
    {
        _slot = _loop.Register(_fd, Flags.EPOLLIN | Flags.EPOLLEXCLUSIVE, this, 0);
        Accept();
    }

    public void OnEvents(int tag, uint events) => Accept();

    public void OnRun()
    {
        _runScheduled = false;
        Accept();
    }

    // A paused listener looks again: another proxy of the process may have freed descriptors.
    public void OnTimer(long nowMilliseconds)
    {
        if (!_closed && Interlocked.Exchange(ref _paused, 0) == 1) Accept();
    }

    public void OnFault(Exception error) => _engine.ReportFault(error);

    /// <summary>Any thread: a connection closed, so accepting may go on if it had paused at the limit.</summary>
    public void ResumeIfPaused()
    {
        if (Interlocked.Exchange(ref _paused, 0) == 1) _loop.Post(Accept);
    }

    // Invariant: edge-triggered, so every wake-up accepts until EAGAIN, except when it stops on purpose
    // (connection limit, descriptor budget, per-wake cap, out of descriptors) and then it arranges its
    // own next call (resume on close, timer, ScheduleRun): a pending client is never left without a wake-up.
    private void Accept()
    {
        if (_closed) return;
        byte* address = stackalloc byte[128];
        for (int accepted = 0; accepted < MaxAcceptsPerWake; accepted++)
        {
            if (!_engine.Runtime.TryAdmit())
            {
                Volatile.Write(ref _paused, 1);
                // A connection may have closed between the failed admission and the flag: check once more.
                if (_engine.Runtime.TryAdmit()) { _engine.Runtime.Unadmit(); Volatile.Write(ref _paused, 0); continue; }
                _loop.ScheduleTimer(this, _loop.NowMs + RetryMilliseconds);
                return;
            }
            int length = 128;
            int fd = Libc.accept4(_fd, address, &length, Flags.SOCK_NONBLOCK | Flags.SOCK_CLOEXEC);
            if (fd < 0)
            {
                int errno = Libc.LastErrno;
                _engine.Runtime.Unadmit();
                if (errno == Errno.EAGAIN) return;
                if (errno is Errno.EINTR or Errno.ECONNABORTED) continue;
                if (errno is Errno.EMFILE or Errno.ENFILE) RefusePending();
                // ENOBUFS, ENOMEM, or descriptors still short: the clients stay queued; try again shortly.
                Volatile.Write(ref _paused, 1);
                _loop.ScheduleTimer(this, _loop.NowMs + RetryMilliseconds);
                return;
            }
            _engine.Adopt(this, _loop, fd, IsUnix ? null : NativeSocket.Decode(address, length));
        }
        if (!_runScheduled)
        {
            _runScheduled = true;
            _loop.ScheduleRun(this);
        }
    }

    // The process ran out of descriptors although the budget allowed the accept: something else holds
    // them. Re-read what is left, and tell the waiting clients at once (reset) rather than leave them
    // in a backlog nobody can serve.
    private void RefusePending()
    {
        DescriptorBudget.Refresh();
        for (int i = 0; i < MaxAcceptsPerWake && DescriptorBudget.RefuseOnePending(_fd); i++)
            _engine.Runtime.Counters.CountRefused();
    }

    /// <summary>Loop thread: this loop stops watching the socket (the socket itself is closed once, by the engine).</summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        _loop.ScheduleTimer(this, long.MaxValue);
        if (_slot >= 0) _loop.Unregister(_slot, _fd);
    }
}
