namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// Adaptive pipe capacity (docs/ARCHITECTURE.md, "Adaptive pipes"): a direction starts with the kernel's
/// 64 KiB pipe; one whose drains keep filling the pipe grows it one size class (4x) while it is empty,
/// up to the cap. The class reached is kept across bursts, so a bulk direction rents a pipe of its size
/// with its next burst; a burst whose drains all came back small lowers it one class again, once a second
/// has passed without a full drain.
/// </summary>
internal unsafe partial struct RelayDirection
{
    /// <summary>Drains in a row that filled at least half the pipe before it grows (one class each time).</summary>
    private const int FullDrainsToGrow = 3;

    /// <summary>
    /// How long a direction goes without a full drain before a small burst lowers its class. A stream that
    /// outpaces its source ends a "burst" at every wake-up with one small drain (64 KiB of 1 MiB, traced),
    /// so lowering at the first small burst made a steady download shrink and regrow its pipe over and over.
    /// </summary>
    private const long StepDownAfterMilliseconds = 1000;

    // _burstFill: 0, no drain in this burst yet; 1, drains but none full; 2, a full drain.
    // _growthRefused: the kernel refused this pipe a size; it is not asked again before the next rent.

    // A pipe smaller than the class this direction earned (the only idle one, or all the budget allowed) is
    // grown to it at once, while it is empty: the direction has shown it fills pipes of that size.
    private bool TryRentPipe(RelayContext context, out FallbackReason reason)
    {
        _pipe = context.Pipes.TryRent(_pipeClass, out reason);
        _growthRefused = false;
        if (_pipe is null) return false;
        while (_pipe.SizeClass < _pipeClass && context.Pipes.TryGrow(_pipe) is var growth && growth != PipeGrowth.AtCap)
        {
            if (growth == PipeGrowth.Grown) continue;
            _growthRefused = growth == PipeGrowth.Refused;
            break;
        }
        return true;
    }

    // Only with an empty pipe: F_SETPIPE_SZ below what a pipe holds fails (EBUSY), and the empty-pipe
    // invariant makes the moment before a drain exactly that moment.
    private void GrowPipeIfFilling(RelayContext context)
    {
        if (_fullDrains < FullDrainsToGrow || _growthRefused || _pipe!.SizeClass >= context.Pipes.TopClass) return;
        _fullDrains = 0;
        if (context.Pipes.TryGrow(_pipe) == PipeGrowth.Refused) _growthRefused = true;
        if (_pipe.SizeClass > _pipeClass) _pipeClass = (byte)_pipe.SizeClass;
    }

    private void NoteDrain(nint drained, long nowMs)
    {
        if (drained >= _pipe!.CapacityBytes / 2)
        {
            if (_fullDrains < byte.MaxValue) _fullDrains++;
            _burstFill = 2;
            _lastFullDrainMs = nowMs;
        }
        else
        {
            _fullDrains = 0;
            if (_burstFill == 0) _burstFill = 1;
        }
    }

    // The source is drained (EAGAIN) and the pipe empty: it goes back to the loop's pool.
    private void EndSpliceBurst(RelayContext context, long nowMs)
    {
        if (_burstFill == 1 && _pipeClass > 0 && nowMs - _lastFullDrainMs >= StepDownAfterMilliseconds)
        {
            _pipeClass--;
            _lastFullDrainMs = nowMs; // the next step down after another second of small bursts
        }
        _burstFill = 0;
        ReturnPipe(context);
    }
}
