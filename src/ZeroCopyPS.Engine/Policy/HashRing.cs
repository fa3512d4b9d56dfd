namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// A consistent-hash ring for SourceHash: every target holds 500 points per unit of weight (the spread of
/// a target's share falls with the square root of its points: about ±1 percentage point on a 25 % share), placed
/// by a stable hash of its endpoint text, so a client's address always lands on the same point and
/// walking clockwise to the first eligible target moves only the clients of a target that goes down.
/// FNV-1a with a 64-bit finaliser, written here because the hash must be the same in every process
/// and every run (string.GetHashCode is randomised per process). Immutable.
/// </summary>
internal sealed class HashRing
{
    private const int PointsPerWeight = 500;

    // Heavy weights share out this many points (a ring of 1,000 targets of weight 1,000 would otherwise
    // hold 500 million): built in a few milliseconds, searched in about 18 steps.
    private const int MostPoints = 200_000;

    private readonly ulong[] _points;
    private readonly int[] _owners;

    public HashRing(IReadOnlyList<ProxyTarget> targets)
    {
        long totalWeight = targets.Sum(t => (long)t.Weight);
        int perWeight = totalWeight == 0 ? 0 : (int)Math.Clamp(MostPoints / totalWeight, 1, PointsPerWeight);
        var points = new List<(ulong Point, int Owner)>();
        for (int owner = 0; owner < targets.Count; owner++)
            for (int i = 0; i < perWeight * targets[owner].Weight; i++)
                points.Add((Hash(System.Text.Encoding.UTF8.GetBytes($"{targets[owner].Endpoint.Text}#{i}")), owner));
        points.Sort((a, b) => a.Point.CompareTo(b.Point));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>The owners met walking clockwise from the key's point (each may appear several times).</summary>
    public IEnumerable<int> Walk(ReadOnlySpan<byte> key)
    {
        if (_points.Length == 0) return [];
        ulong point = Hash(key);
        int start = Array.BinarySearch(_points, point);
        if (start < 0) start = ~start;
        return Enumerate(start);
    }

    private IEnumerable<int> Enumerate(int start)
    {
        for (int i = 0; i < _points.Length; i++) yield return _owners[(start + i) % _points.Length];
    }

    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in data) hash = (hash ^ b) * 1099511628211UL;
        // fmix64: FNV alone clusters short, similar keys on the ring.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }
}
