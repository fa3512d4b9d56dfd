using System.Net;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// A proxy's targets and how a new connection picks one (<see cref="BalanceMode"/>). Backups take
/// connections only while no primary is eligible. A connection whose connect failed asks again with
/// the targets it tried excluded, so a client sees a failure only when no target answers. Replaced as
/// a whole when the targets change (Set-ZeroCopyProxy); a target that stays keeps its state.
/// Thread-safe.
/// </summary>
internal sealed class TargetPool
{
    private readonly TargetState[] _primaries;
    private readonly TargetState[] _backups;
    private readonly HashRing _primaryRing;
    private readonly HashRing _backupRing;
    private readonly BalanceMode _mode;
    private readonly object _lock = new();
    private int _cursor;

    public TargetPool(IReadOnlyList<ProxyTarget> targets, BalanceMode mode, Func<ProxyTarget, TargetState> stateFor)
    {
        _mode = mode;
        All = targets.Select(stateFor).ToArray();
        _primaries = All.Where(t => !t.Target.Backup).ToArray();
        _backups = All.Where(t => t.Target.Backup).ToArray();
        _primaryRing = new HashRing(_primaries.Select(t => t.Target).ToArray());
        _backupRing = new HashRing(_backups.Select(t => t.Target).ToArray());
    }

    public IReadOnlyList<TargetState> All { get; }

    /// <summary>The target for a new connection from <paramref name="client"/>, not one of <paramref name="tried"/>; null when none is eligible.</summary>
    public TargetState? Pick(EndPoint? client, IReadOnlyCollection<TargetState> tried, long nowMs) =>
        PickFrom(_primaries, _primaryRing, client, tried, nowMs) ?? PickFrom(_backups, _backupRing, client, tried, nowMs);

    /// <summary>How many targets a connection could still try (for sharing the connect timeout).</summary>
    public int Remaining(IReadOnlyCollection<TargetState> tried, long nowMs)
    {
        int primaries = _primaries.Count(t => t.IsEligible(nowMs) && !tried.Contains(t));
        return primaries > 0 ? primaries : _backups.Count(t => t.IsEligible(nowMs) && !tried.Contains(t));
    }

    private TargetState? PickFrom(TargetState[] group, HashRing ring, EndPoint? client, IReadOnlyCollection<TargetState> tried, long nowMs)
    {
        TargetState[] candidates = group.Where(t => !tried.Contains(t) && t.IsEligible(nowMs)).ToArray();
        if (candidates.Length == 0) return null;
        if (candidates.Length == 1) return candidates[0];
        return _mode switch
        {
            BalanceMode.First => candidates[0],
            BalanceMode.LeastConnections => Least(candidates),
            BalanceMode.SourceHash when client is IPEndPoint ip => Hashed(group, ring, ip.Address, candidates),
            _ => SmoothWeighted(candidates),
        };
    }

    // nginx's smooth weighted round robin: each pick raises every candidate by its weight, takes the
    // highest, and lowers it by the total. Over a round each target is picked as often as its weight,
    // spread out rather than in runs.
    private TargetState SmoothWeighted(TargetState[] candidates)
    {
        lock (_lock)
        {
            int total = 0;
            TargetState best = candidates[0];
            foreach (TargetState t in candidates)
            {
                t.CurrentWeight += t.Target.Weight;
                total += t.Target.Weight;
                if (t.CurrentWeight > best.CurrentWeight) best = t;
            }
            best.CurrentWeight -= total;
            return best;
        }
    }

    // Fewest open connections for the weight; ties go round in turn so equal targets share evenly.
    private TargetState Least(TargetState[] candidates)
    {
        lock (_lock)
        {
            int start = _cursor++ % candidates.Length;
            TargetState best = candidates[start];
            for (int i = 1; i < candidates.Length; i++)
            {
                TargetState t = candidates[(start + i) % candidates.Length];
                if (t.Active * best.Target.Weight < best.Active * t.Target.Weight) best = t;
            }
            return best;
        }
    }

    private static TargetState Hashed(TargetState[] group, HashRing ring, IPAddress address, TargetState[] candidates)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> key = stackalloc byte[16];
        address.TryWriteBytes(key, out int written);
        foreach (int owner in ring.Walk(key[..written]))
            if (candidates.Contains(group[owner])) return group[owner];
        return candidates[0];
    }
}
