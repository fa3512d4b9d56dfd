namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The gate of one direction under injected faults (docs/ARCHITECTURE.md, "Fault injection"): pure logic
/// over (now, bytes), the same for both engines, which do the I/O and ask it what they may do. It says how
/// many bytes may be read now (Stall: none; Bandwidth: the token bucket; ResetAfter and LimitData: no byte
/// past their count), when a chunk read now may leave (Latency: delay ± jitter, never before an earlier
/// chunk), how big the next write may be and when (Slice), when the FIN may go (SlowClose), whether the
/// connection must be reset or closed now, and the next time anything changes. Several faults of one kind
/// on one direction combine: delays and jitters add, the lowest rate paces, the earliest reset and the
/// smallest limit win, the longest FIN delay holds, the first Slice cuts. One direction's thread only.
/// </summary>
internal sealed class DirectionFaults
{
    /// <summary>Bytes a direction may hold back at most (queued chunks' buffers); then it stops reading (TCP back-pressure).</summary>
    public const int QueueBytesMaximum = 4 * 1024 * 1024;

    // Bandwidth: the bucket holds at most 50 ms of the rate (at least one byte), so pacing is even over
    // seconds, not bursts; a read waits until 16 KiB (or the whole bucket, if smaller) are there.
    private const double BucketSeconds = 0.05;
    // A direction waiting for tokens (it had data, or its last read took every token) keeps the credit of a
    // wake-up or a look that came late, up to 1 s: a busy machine must not slow the pace; only a quiet source's
    // bucket is held to 50 ms.
    private const double OwedSeconds = 1.0;
    private const int ReadWorthBytes = 16 * 1024;

    // The engines' clock (Environment.TickCount64, a coarse monotonic clock on Linux) may lag real time by one
    // kernel tick (4 ms at HZ=250): a hold is made one tick longer, so no chunk ever leaves before its delay.
    public const int ClockTickMilliseconds = 4;

    private readonly Random _random;
    private readonly Dictionary<string, (long StartMs, long StartBytes)> _starts = new(StringComparer.OrdinalIgnoreCase);
    private ProxyFault[] _faults = [];
    private long _latencyMs, _jitterMs, _lastReleaseMs;
    private long _bytesPerSecond;
    private double _tokens;
    private long _tokensAtMs;
    private bool _waitingForTokens;
    private bool _stalled;
    private long _stallResetMs, _resetMs, _resetAtBytes, _limitAtBytes;
    private string? _stallName, _resetTimeName, _resetBytesName, _limitName;
    private bool _resetNow;
    private long _slowCloseMs;
    private ProxyFault? _slice;
    private long _sliceLeft, _nextSliceMs;

    public DirectionFaults(bool clientToTarget, int seed)
    {
        ClientToTarget = clientToTarget;
        _random = new Random(seed);
    }

    public bool ClientToTarget { get; }

    /// <summary>True while at least one fault applies: the direction takes the buffered path with this gate.</summary>
    public bool Active => _faults.Length > 0;

    /// <summary>The faults that apply now.</summary>
    public IReadOnlyList<ProxyFault> Faults => _faults;

    /// <summary>Bytes read from the source through this gate, over the direction's life.</summary>
    public long BytesRead { get; private set; }

    /// <summary>True while chunks must wait for their release time (a Latency applies).</summary>
    public bool Delays => _latencyMs > 0 || _jitterMs > 0;

    /// <summary>The faults that apply from <paramref name="nowMs"/> on; one seen for the first time starts counting (time, bytes) now.</summary>
    public void SetFaults(ProxyFault[] faults, long nowMs)
    {
        Refill(nowMs);
        _faults = faults;
        _latencyMs = _jitterMs = _bytesPerSecond = _slowCloseMs = 0;
        _stalled = _resetNow = false;
        _stallResetMs = _resetMs = _resetAtBytes = _limitAtBytes = long.MaxValue;
        _stallName = _resetTimeName = _resetBytesName = _limitName = null;
        ProxyFault? slice = null;
        foreach (ProxyFault fault in faults)
        {
            if (!_starts.TryGetValue(fault.Name, out var start)) _starts[fault.Name] = start = (nowMs, BytesRead);
            switch (fault.Kind)
            {
                case FaultKind.Latency:
                    _latencyMs += (long)fault.Delay.TotalMilliseconds;
                    _jitterMs += (long)fault.Jitter.TotalMilliseconds;
                    break;
                case FaultKind.Bandwidth:
                    if (_bytesPerSecond == 0 || fault.BytesPerSecond < _bytesPerSecond) _bytesPerSecond = fault.BytesPerSecond;
                    break;
                case FaultKind.Stall:
                    _stalled = true;
                    _stallName ??= fault.Name;
                    if (fault.CloseAfter > TimeSpan.Zero && NotBefore(start.StartMs, fault.CloseAfter) < _stallResetMs)
                        (_stallResetMs, _stallName) = (NotBefore(start.StartMs, fault.CloseAfter), fault.Name);
                    break;
                case FaultKind.ResetAfter:
                    if (fault.Bytes == 0 && fault.After == TimeSpan.Zero)
                    {
                        _resetNow = true;
                        _resetTimeName ??= fault.Name;
                    }
                    if (fault.After > TimeSpan.Zero && NotBefore(start.StartMs, fault.After) < _resetMs)
                        (_resetMs, _resetTimeName) = (NotBefore(start.StartMs, fault.After), fault.Name);
                    if (fault.Bytes > 0 && start.StartBytes + fault.Bytes < _resetAtBytes)
                        (_resetAtBytes, _resetBytesName) = (start.StartBytes + fault.Bytes, fault.Name);
                    break;
                case FaultKind.LimitData:
                    if (start.StartBytes + fault.Bytes < _limitAtBytes) (_limitAtBytes, _limitName) = (start.StartBytes + fault.Bytes, fault.Name);
                    break;
                case FaultKind.SlowClose:
                    _slowCloseMs = Math.Max(_slowCloseMs, (long)fault.Delay.TotalMilliseconds);
                    break;
                case FaultKind.Slice:
                    slice ??= fault;
                    break;
            }
        }
        if (!ReferenceEquals(slice, _slice)) _sliceLeft = 0;
        _slice = slice;
        if (_bytesPerSecond == 0) _tokens = 0;
        else if (_tokensAtMs == 0)
        {
            _tokens = BucketBytes; // a new bucket starts full: the first 50 ms' worth may go at once
            _tokensAtMs = nowMs;
        }
    }

    private double BucketBytes => Math.Max(_bytesPerSecond * BucketSeconds, 1);

    private void Refill(long nowMs)
    {
        if (_bytesPerSecond == 0)
        {
            _tokensAtMs = 0;
            return;
        }
        if (nowMs > _tokensAtMs)
        {
            double cap = _waitingForTokens ? Math.Max(BucketBytes, _bytesPerSecond * OwedSeconds) : BucketBytes;
            _tokens = Math.Min(cap, _tokens + (nowMs - _tokensAtMs) * (double)_bytesPerSecond / 1000);
            _waitingForTokens = false;
        }
        _tokensAtMs = Math.Max(_tokensAtMs, nowMs);
    }

    /// <summary>How many bytes, at most <paramref name="wantedBytes"/>, may be read from the source now; 0: not now (see <see cref="NextReadMs"/>).</summary>
    public int ReadAllowance(long nowMs, int wantedBytes)
    {
        if (_stalled) return 0;
        long allowed = wantedBytes;
        allowed = Math.Min(allowed, _limitAtBytes - BytesRead);
        allowed = Math.Min(allowed, _resetAtBytes - BytesRead);
        if (_bytesPerSecond > 0)
        {
            Refill(nowMs);
            allowed = Math.Min(allowed, (long)_tokens);
        }
        return (int)Math.Max(0, allowed);
    }

    /// <summary>When reading may be allowed again after <see cref="ReadAllowance"/> said 0; long.MaxValue: not by time.</summary>
    public long NextReadMs(long nowMs)
    {
        if (_stalled || BytesRead >= _limitAtBytes || BytesRead >= _resetAtBytes || _bytesPerSecond == 0) return long.MaxValue;
        Refill(nowMs);
        double worth = Math.Min(BucketBytes, ReadWorthBytes);
        if (_tokens >= worth) return nowMs;
        _waitingForTokens = true;
        return nowMs + Math.Max(1, (long)Math.Ceiling((worth - _tokens) * 1000 / _bytesPerSecond));
    }

    /// <summary><paramref name="bytes"/> were read at <paramref name="nowMs"/>; returns when they may be written (order kept).</summary>
    public long OnRead(int bytes, long nowMs, bool sourceHasMore = false)
    {
        BytesRead += bytes;
        if (_bytesPerSecond > 0)
        {
            // A read after which the source still has bytes was held back by the pace, not by a quiet source: the
            // direction is backlogged, and the time until the next look is owed in full (a 50 ms cap there lost
            // 4-11 % of the rate, measured: 50 MiB at 10 MB/s took 5.45 s in the epoll engine, 5.84 s in the managed one).
            if (sourceHasMore) _waitingForTokens = true;
            _tokens -= bytes;
        }
        if (!Delays) return nowMs;
        long delay = _latencyMs + (_jitterMs == 0 ? 0 : _random.NextInt64(-_jitterMs, _jitterMs + 1));
        _lastReleaseMs = Math.Max(_lastReleaseMs, nowMs + Math.Max(0, delay) + ClockTickMilliseconds);
        return _lastReleaseMs;
    }

    /// <summary>How many bytes, at most <paramref name="wantedBytes"/>, may be written now; 0: not now (see <see cref="NextWriteMs"/>).</summary>
    public int WriteAllowance(long nowMs, int wantedBytes)
    {
        if (_stalled) return 0;
        if (_slice is not { } slice) return wantedBytes;
        if (_sliceLeft == 0)
        {
            if (nowMs < _nextSliceMs) return 0;
            _sliceLeft = slice.AverageSizeBytes + (slice.SizeVariationBytes == 0 ? 0 : _random.Next(-slice.SizeVariationBytes, slice.SizeVariationBytes + 1));
        }
        return (int)Math.Min(wantedBytes, _sliceLeft);
    }

    /// <summary>When writing may go on after <see cref="WriteAllowance"/> said 0; long.MaxValue: not by time.</summary>
    public long NextWriteMs => _stalled ? long.MaxValue : _nextSliceMs;

    /// <summary><paramref name="bytes"/> were written at <paramref name="nowMs"/>: a slice written whole starts the pause before the next.</summary>
    public void OnWritten(int bytes, long nowMs)
    {
        if (_slice is not { } slice) return;
        _sliceLeft -= bytes;
        if (_sliceLeft <= 0)
        {
            _sliceLeft = 0;
            _nextSliceMs = nowMs + (long)slice.Delay.TotalMilliseconds;
        }
    }

    /// <summary>The source's end of stream was read at <paramref name="eofMs"/>: when its FIN may be passed on (SlowClose).</summary>
    // When a time-based end (CloseAfter, ResetAfter -After) is due: never early, like a hold (see ClockTickMilliseconds);
    // a reset seen 999.8 ms after a CloseAfter of 1 s was added was a test failure before this.
    private static long NotBefore(long startMs, TimeSpan duration) =>
        startMs + (long)Math.Ceiling(duration.TotalMilliseconds) + ClockTickMilliseconds;

    public long FinDueMs(long eofMs) => _slowCloseMs == 0 ? eofMs : eofMs + _slowCloseMs + ClockTickMilliseconds; // never early: see ClockTickMilliseconds

    /// <summary>
    /// What the faults demand of the whole connection now: a reset (ResetAfter's time or bytes, a Stall's
    /// CloseAfter) or a clean close (LimitData reached). Bytes count once read; a reset by bytes waits until
    /// they are delivered (<paramref name="queueEmpty"/>), a limit lets the engine deliver them and then FIN.
    /// </summary>
    public FaultEnd Due(long nowMs, bool queueEmpty, out string? text)
    {
        text = null;
        if (_resetNow)
            text = $"reset by the fault '{_resetTimeName}' (ResetAfter with no bytes and no time: at once)";
        else if (nowMs >= _resetMs)
            text = $"reset by the fault '{_resetTimeName}' (ResetAfter: its time elapsed)";
        else if (nowMs >= _stallResetMs)
            text = $"reset by the fault '{_stallName}' (Stall: CloseAfter elapsed)";
        else if (BytesRead >= _resetAtBytes && queueEmpty)
            text = $"reset by the fault '{_resetBytesName}' (ResetAfter: {BytesRead - _starts[_resetBytesName!].StartBytes} bytes passed {Way})";
        if (text is not null) return FaultEnd.Reset;
        if (BytesRead >= _limitAtBytes)
        {
            text = $"closed by the fault '{_limitName}' (LimitData: {BytesRead - _starts[_limitName!].StartBytes} bytes passed {Way})";
            return FaultEnd.Limit;
        }
        return FaultEnd.None;
    }

    /// <summary>
    /// ResetAfter's bytes were all read: the engine delivers them, waits (bounded by <see cref="ResetDrainMilliseconds"/>)
    /// until the destination's send queue is empty, so the peer really has them, then passes <c>queueEmpty</c>.
    /// </summary>
    public bool ResetBytesReached => BytesRead >= _resetAtBytes;

    /// <summary>How long a reset by bytes waits at most for the peer to take the last of them.</summary>
    public const int ResetDrainMilliseconds = 1000;

    /// <summary>The next time <see cref="Due"/> may change by time alone; long.MaxValue when none.</summary>
    public long NextDueMs => Math.Min(_resetMs, _stallResetMs);

    private string Way => ClientToTarget ? "client to target" : "target to client";
}
