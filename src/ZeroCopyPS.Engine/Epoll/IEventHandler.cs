namespace ZeroCopyPS.Engine.Epoll;

/// <summary>Something an <see cref="EventLoop"/> drives. Every method runs on that loop's thread only.</summary>
internal interface IEventHandler
{
    /// <summary>Readiness on the descriptor registered with <paramref name="tag"/>.</summary>
    void OnEvents(int tag, uint events);

    /// <summary>Continues work the handler deferred with <see cref="EventLoop.ScheduleRun"/> (bounded work per wake-up).</summary>
    void OnRun();

    /// <summary>Periodic check of timeouts; <paramref name="nowMilliseconds"/> is <see cref="Environment.TickCount64"/>.</summary>
    void OnSweep(long nowMilliseconds);

    /// <summary>A call on this handler threw; it must release what it holds. Must not throw.</summary>
    void OnFault(Exception error);

    /// <summary>Index in the loop's sweep list, kept by the loop for O(1) removal.</summary>
    int SweepIndex { get; set; }
}
