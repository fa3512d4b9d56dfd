namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One loop's housekeeping: every few seconds its pools let go of the pipes and buffers that stayed
/// idle the whole interval (see <see cref="IdleTrim"/>). A timer on the loop, so it needs no lock.
/// </summary>
internal sealed class PoolTrimmer : IEventHandler
{
    public const long IntervalMilliseconds = 5_000;

    private readonly EventLoop _loop;
    private readonly RelayContext _context;

    public PoolTrimmer(EventLoop loop, RelayContext context)
    {
        _loop = loop;
        _context = context;
    }

    public long DeadlineMs { get; set; }

    public int TimerIndex { get; set; } = -1;

    public int AliveIndex { get; set; } = -1;

    /// <summary>Loop thread: arms the first interval.</summary>
    public void Start() => _loop.ScheduleTimer(this, _loop.NowMs + IntervalMilliseconds);

    public void OnTimer(long nowMilliseconds)
    {
        _context.Pipes.Trim();
        _context.Buffers.Trim();
        _loop.ScheduleTimer(this, nowMilliseconds + IntervalMilliseconds);
    }

    public void OnEvents(int tag, uint events)
    {
    }

    public void OnRun()
    {
    }

    public void OnFault(Exception error)
    {
    }
}
