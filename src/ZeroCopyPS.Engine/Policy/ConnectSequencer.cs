using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// Decides which target address to try when, for both engines (docs/ARCHITECTURE.md, "Connecting"):
/// <list type="bullet">
/// <item>Addresses are interleaved by family, first family first (RFC 8305 section 4).</item>
/// <item>An attempt still pending after 250 ms does not hold up the next address: a second attempt
/// starts beside it (RFC 8305's Connection Attempt Delay), so a black-holed first address costs 250 ms,
/// not the whole connect timeout. At most two attempts run at once.</item>
/// <item>Each attempt gets its share of the time left (Go's partial deadline: time left divided by the
/// addresses left, at least 2 s when that much is left), so one address cannot use up the timeout.</item>
/// <item>A Unix target that answers EAGAIN (backlog full) is tried again with backoff (5 ms doubling to
/// 100 ms) until the timeout, as a blocking client would simply have waited.</item>
/// </list>
/// Not thread-safe: the connection's owner serialises calls.
/// </summary>
internal sealed class ConnectSequencer
{
    public const int MaxAttemptsInFlight = 2;
    public const long AttemptDelayMilliseconds = 250;
    private const long MinimumAttemptMilliseconds = 2_000;
    private const long FirstRetryMilliseconds = 5;
    private const long LongestRetryMilliseconds = 100;

    private readonly EndPoint[] _order;
    private int _next;
    private int _inFlight;
    private long _lastStartMs = long.MinValue;
    private EndPoint? _retryAddress;
    private long _retryAtMs;
    private long _retryDelayMs = FirstRetryMilliseconds;

    public ConnectSequencer(IReadOnlyList<EndPoint> addresses, long deadlineMs)
    {
        _order = Interleave(addresses);
        DeadlineMs = deadlineMs;
    }

    /// <summary>The connect timeout, counted from accept (DNS included).</summary>
    public long DeadlineMs { get; }

    /// <summary>Attempts started so far, retries included.</summary>
    public int Attempts { get; private set; }

    /// <summary>The last attempt's failure, for the error text when all fail.</summary>
    public string? LastError { get; private set; }

    public int AttemptsInFlight => _inFlight;

    public ConnectStep Next(long nowMs)
    {
        if (nowMs >= DeadlineMs) return ConnectStep.GiveUp;
        if (_retryAddress is { } retry && _inFlight == 0)
        {
            if (nowMs < _retryAtMs) return ConnectStep.WaitUntil(Math.Min(_retryAtMs, DeadlineMs));
            _retryAddress = null;
            return Begin(retry, nowMs, DeadlineMs);
        }
        if (_next < _order.Length && _inFlight < MaxAttemptsInFlight)
        {
            long startAt = _inFlight == 0 ? nowMs : _lastStartMs + AttemptDelayMilliseconds;
            if (nowMs >= startAt)
            {
                EndPoint address = _order[_next++];
                return Begin(address, nowMs, nowMs + PartialTimeout(DeadlineMs - nowMs, _order.Length - _next + 1));
            }
            return ConnectStep.WaitUntil(Math.Min(startAt, DeadlineMs));
        }
        if (_inFlight == 0 && _retryAddress is null) return ConnectStep.GiveUp;
        return ConnectStep.WaitUntil(DeadlineMs);
    }

    /// <summary>An attempt failed with <paramref name="kind"/>; <paramref name="description"/> goes into the error text.</summary>
    public void OnAttemptFailed(EndPoint address, FailureKind kind, string description, long nowMs)
    {
        _inFlight--;
        LastError = $"connect to {ProxyEndpoint.Format(address)} failed: {description}";
        if (kind == FailureKind.WouldBlock && address.AddressFamily == AddressFamily.Unix)
        {
            _retryAddress = address;
            _retryAtMs = nowMs + _retryDelayMs;
            _retryDelayMs = Math.Min(_retryDelayMs * 2, LongestRetryMilliseconds);
        }
    }

    /// <summary>An attempt reached its own deadline without an answer; the engine closed its socket.</summary>
    public void OnAttemptTimedOut(EndPoint address, long startedAtMs, long nowMs)
    {
        _inFlight--;
        LastError = $"connect to {ProxyEndpoint.Format(address)} got no answer within {nowMs - startedAtMs} ms";
    }

    /// <summary>An attempt succeeded; the others the engine still runs are to be closed.</summary>
    public void OnAttemptConnected() => _inFlight--;

    private ConnectStep Begin(EndPoint address, long nowMs, long attemptDeadlineMs)
    {
        _inFlight++;
        Attempts++;
        _lastStartMs = nowMs;
        return ConnectStep.Start(address, Math.Min(attemptDeadlineMs, DeadlineMs));
    }

    // Go's partialDeadline: the time left shared by the addresses left, with a sane minimum.
    private static long PartialTimeout(long remainingMs, int addressesLeft)
    {
        long share = remainingMs / Math.Max(1, addressesLeft);
        return share >= MinimumAttemptMilliseconds ? share : Math.Min(remainingMs, MinimumAttemptMilliseconds);
    }

    // RFC 8305 section 4: the first address's family first, then the families alternate, each in the resolver's order.
    private static EndPoint[] Interleave(IReadOnlyList<EndPoint> addresses)
    {
        if (addresses.Count < 2) return addresses.ToArray();
        AddressFamily first = addresses[0].AddressFamily;
        var primary = addresses.Where(a => a.AddressFamily == first).ToList();
        var secondary = addresses.Where(a => a.AddressFamily != first).ToList();
        var order = new List<EndPoint>(addresses.Count);
        for (int i = 0; i < Math.Max(primary.Count, secondary.Count); i++)
        {
            if (i < primary.Count) order.Add(primary[i]);
            if (i < secondary.Count) order.Add(secondary[i]);
        }
        return order.ToArray();
    }
}
