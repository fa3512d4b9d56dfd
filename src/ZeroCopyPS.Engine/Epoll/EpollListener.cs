using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Proxy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// A listening socket on the engine's first loop. Accepts natively (accept4, nonblocking) so no
/// accepted descriptor is ever known to .NET's own epoll, and hands each one to a loop round-robin.
/// At the connection limit or the descriptor budget it stops accepting (clients wait in the kernel
/// backlog) until a connection closes or the next sweep finds room.
/// </summary>
internal sealed unsafe class EpollListener : IEventHandler
{
    private const int MaxAcceptsPerWake = 64;
    private const int RetryAfterErrorMilliseconds = 100;

    private readonly EpollProxyEngine _engine;
    private readonly EventLoop _loop;
    private readonly BoundListener _bound;
    private readonly int _fd;
    private int _slot = -1;
    private bool _closed;
    private bool _runScheduled;
    private long _retryAtMs;
    private int _paused;

    public EpollListener(EpollProxyEngine engine, EventLoop loop, BoundListener bound)
    {
        _engine = engine;
        _loop = loop;
        _bound = bound;
        _fd = (int)bound.Socket.Handle;
        NativeSocket.SetNonBlocking(_fd);
    }

    public string ListenText => _bound.ListenText;

    public bool IsUnix => _bound.IsUnix;

    public System.Net.EndPoint BoundEndPoint => _bound.EndPoint;

    public int SweepIndex { get; set; } = -1;

    /// <summary>Loop thread: starts accepting.</summary>
    public void Open()
    {
        _slot = _loop.Register(_fd, Flags.EPOLLIN, this, 0);
        _loop.AddToSweep(this);
        Accept();
    }

    public void OnEvents(int tag, uint events) => Accept();

    public void OnRun()
    {
        _runScheduled = false;
        Accept();
    }

    public void OnSweep(long nowMilliseconds)
    {
        DescriptorBudget.RefreshIfDue(nowMilliseconds);
        // Paused for want of descriptors, another proxy of the process may have freed some.
        if (Interlocked.Exchange(ref _paused, 0) == 1 || (_retryAtMs != 0 && nowMilliseconds >= _retryAtMs))
        {
            _retryAtMs = 0;
            Accept();
        }
    }

    public void OnFault(Exception error) => _engine.ReportFault(error);

    /// <summary>Any thread: a connection closed, so accepting may go on if it had paused at the limit.</summary>
    public void ResumeIfPaused()
    {
        if (Interlocked.Exchange(ref _paused, 0) == 1) _loop.Post(Accept);
    }

    // Invariant: edge-triggered, so every wake-up accepts until EAGAIN, except when it stops on purpose
    // (connection limit, descriptor budget, per-wake cap, out of descriptors) and then it arranges its
    // own next call (resume on close, sweep, ScheduleRun, retry): a pending client is never left without a wake-up.
    private void Accept()
    {
        if (_closed) return;
        byte* address = stackalloc byte[128];
        for (int accepted = 0; accepted < MaxAcceptsPerWake; accepted++)
        {
            if (!_engine.TryReserveConnection())
            {
                Volatile.Write(ref _paused, 1);
                // A connection may have closed between the failed reservation and the flag: check once more.
                if (_engine.TryReserveConnection()) { _engine.ReleaseReservation(); Volatile.Write(ref _paused, 0); continue; }
                return;
            }
            int length = 128;
            int fd = Libc.accept4(_fd, address, &length, Flags.SOCK_NONBLOCK | Flags.SOCK_CLOEXEC);
            if (fd < 0)
            {
                int errno = Libc.LastErrno;
                _engine.ReleaseReservation();
                if (errno == Errno.EAGAIN) return;
                if (errno is Errno.EINTR or Errno.ECONNABORTED) continue;
                if (errno is Errno.EMFILE or Errno.ENFILE) RefusePending();
                // ENOBUFS, ENOMEM, or descriptors still short: the clients stay queued; try again shortly.
                _retryAtMs = Environment.TickCount64 + RetryAfterErrorMilliseconds;
                return;
            }
            _engine.Dispatch(this, fd, IsUnix ? null : NativeSocket.Decode(address, length));
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
            _engine.CountRefused();
    }

    /// <summary>Loop thread: stops listening at once; the socket file of a Unix listener is removed if still ours.</summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        _loop.RemoveFromSweep(this);
        if (_slot >= 0) _loop.Unregister(_slot, _fd);
        _bound.Close();
    }

    /// <summary>
    /// Stop's last resort, once the loops are gone (or never answered): the loop's tables are not
    /// touched, only the socket and its file are released. Idempotent with <see cref="Close"/>.
    /// </summary>
    public void CloseFromAnyThreadAfterLoopsEnded() => _bound.Close();
}
