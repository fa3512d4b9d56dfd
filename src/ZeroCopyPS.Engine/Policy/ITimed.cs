namespace ZeroCopyPS.Engine.Policy;

/// <summary>Something a <see cref="TimerQueue{T}"/> holds: its deadline and its place in the queue (kept by the queue).</summary>
internal interface ITimed
{
    /// <summary>When it is due, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    long DeadlineMs { get; set; }

    /// <summary>Index in the queue's heap, -1 when not queued. Written only by the queue.</summary>
    int TimerIndex { get; set; }
}
