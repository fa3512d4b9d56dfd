using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The target's addresses, for both engines (docs/ARCHITECTURE.md, "DNS"). Literals and Unix paths need
/// no lookup. A host name is looked up at most once per <c>DnsCacheDuration</c>; connections arriving
/// while a lookup runs share it (one lookup in flight per name, so an accept storm is one query); and
/// when the resolver fails, the last good answer keeps serving (HAProxy's "hold valid") while the
/// failure is counted and the resolver is asked again at most every few seconds. Thread-safe.
/// </summary>
internal sealed class TargetDns
{
    // While the resolver fails and an old answer serves, ask again this often (or per the cache duration, if shorter).
    private const long RetryAfterFailureMilliseconds = 5_000;

    private readonly ProxyEndpoint _target;
    private readonly EndPoint[]? _static;
    private readonly long _holdMilliseconds;
    private readonly Func<string, Task<IPAddress[]>> _lookup;
    private readonly object _lock = new();
    private EndPoint[]? _answer;
    private long _answerExpiresMs = long.MinValue;
    private Task<EndPoint[]>? _inFlight;
    private long _lookups;
    private long _failures;
    private string? _lastFailure;

    public TargetDns(ProxyEndpoint target, TimeSpan cacheDuration, Func<string, Task<IPAddress[]>>? lookup = null)
    {
        _target = target;
        _holdMilliseconds = (long)cacheDuration.TotalMilliseconds;
        _lookup = lookup ?? (host => Dns.GetHostAddressesAsync(host));
        if (target.IsUnix) _static = [target.ToUnixEndPoint()];
        else if (target.Address is { } ip) _static = [new IPEndPoint(ip, target.Port)];
        // A bare port as target means this machine.
        else if (target.Host is null) _static = [new IPEndPoint(IPAddress.Loopback, target.Port), new IPEndPoint(IPAddress.IPv6Loopback, target.Port)];
    }

    public string Text => _target.Text;

    public long Lookups => Interlocked.Read(ref _lookups);

    public long Failures => Interlocked.Read(ref _failures);

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>The addresses without waiting, when they need no lookup or a fresh answer is cached.</summary>
    public EndPoint[]? TryGetFresh(long nowMs)
    {
        if (_static is not null) return _static;
        lock (_lock) return nowMs < _answerExpiresMs ? _answer : null;
    }

    /// <summary>The addresses; throws <see cref="DnsLookupException"/> when the name does not resolve and no earlier answer exists.</summary>
    public Task<EndPoint[]> ResolveAsync(long nowMs)
    {
        if (TryGetFresh(nowMs) is { } fresh) return Task.FromResult(fresh);
        lock (_lock)
        {
            if (nowMs < _answerExpiresMs && _answer is not null) return Task.FromResult(_answer);
            return _inFlight ??= LookupAsync();
        }
    }

    private async Task<EndPoint[]> LookupAsync()
    {
        await Task.Yield(); // never run the lookup under the caller's lock
        Interlocked.Increment(ref _lookups);
        try
        {
            IPAddress[] addresses = await _lookup(_target.Host!).ConfigureAwait(false);
            EndPoint[] endPoints = addresses
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Select(a => (EndPoint)new IPEndPoint(a, _target.Port))
                .ToArray();
            if (endPoints.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
            lock (_lock)
            {
                _answer = endPoints;
                _answerExpiresMs = Environment.TickCount64 + _holdMilliseconds;
                _inFlight = null;
            }
            return endPoints;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            string why = e is SocketException s ? s.Message : e.GetBaseException().Message;
            Volatile.Write(ref _lastFailure, why);
            lock (_lock)
            {
                _inFlight = null;
                if (_answer is not null)
                {
                    _answerExpiresMs = Environment.TickCount64 + Math.Min(RetryAfterFailureMilliseconds, Math.Max(_holdMilliseconds, 1_000));
                    return _answer;
                }
            }
            throw new DnsLookupException($"Could not resolve target '{_target.Text}': {why}", e);
        }
    }
}
