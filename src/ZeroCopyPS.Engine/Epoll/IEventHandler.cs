using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>Something an <see cref="EventLoop"/> drives. Every method runs on that loop's thread only.</summary>
internal interface IEventHandler : ITimed
{
    /// <summary>Readiness on the descriptor registered with <paramref name="tag"/>.</summary>
    void OnEvents(int tag, uint events);

    /// <summary>Continues work the handler deferred with <see cref="EventLoop.ScheduleRun"/> (bounded work per wake-up).</summary>
    void OnRun();

    /// <summary>The deadline set with <see cref="EventLoop.ScheduleTimer"/> is due; <paramref name="nowMilliseconds"/> is <see cref="Environment.TickCount64"/>.</summary>
    void OnTimer(long nowMilliseconds);

    /// <summary>A call on this handler threw; it must release what it holds. Must not throw.</summary>
    void OnFault(Exception error);

    /// <summary>Index in the loop's list of live handlers, kept by the loop for O(1) removal.</summary>
    int AliveIndex { get; set; }
}
