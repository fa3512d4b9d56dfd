namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The pipe sizes a direction may hold: the kernel's 64 KiB default, then 4x a step, up to the cap
/// (PipeSizeBytes rounded up to a power of two as the kernel rounds it, bounded by /proc/sys/fs/pipe-max-size,
/// which an unprivileged process may not pass). With the 1 MiB default: 64 KiB, 256 KiB, 1 MiB.
/// A pipe belongs to the largest class not above its capacity (a pipe the kernel gave less sits one down).
/// </summary>
internal sealed class PipeSizeClasses
{
    /// <summary>The kernel's default pipe capacity, the first class; a smaller pipe means the user's pipe pages ran out.</summary>
    public const int DefaultCapacityBytes = 64 * 1024;

    private const int GrowthFactor = 4;
    private const string PipeMaxSizePath = "/proc/sys/fs/pipe-max-size";

    private readonly int[] _bytes;

    public PipeSizeClasses(int requestedCapBytes, int pipeMaxSizeBytes)
    {
        long cap = Math.Min(RoundUpToPowerOfTwo(Math.Max(requestedCapBytes, DefaultCapacityBytes)), Math.Max(pipeMaxSizeBytes, DefaultCapacityBytes));
        var sizes = new List<int>();
        for (long size = DefaultCapacityBytes; size < cap; size *= GrowthFactor) sizes.Add((int)size);
        sizes.Add((int)cap);
        _bytes = sizes.ToArray();
    }

    private PipeSizeClasses(int onlyBytes) => _bytes = [onlyBytes];

    /// <summary>
    /// One class, asked for as given (a measurement's fixed pipe): no growth, no pipe-max-size bound (a refused
    /// size keeps what the kernel gave). Below the kernel's default, the default: a smaller pipe is never used.
    /// </summary>
    public static PipeSizeClasses Fixed(int bytes) => new(Math.Max(bytes, DefaultCapacityBytes));

    public int Count => _bytes.Length;

    /// <summary>The largest class's capacity: the effective cap of growth.</summary>
    public int CapBytes => _bytes[^1];

    public int Bytes(int sizeClass) => _bytes[sizeClass];

    /// <summary>The largest class not above <paramref name="capacityBytes"/> (class 0 for anything smaller).</summary>
    public int ClassOf(int capacityBytes)
    {
        int sizeClass = 0;
        while (sizeClass + 1 < _bytes.Length && _bytes[sizeClass + 1] <= capacityBytes) sizeClass++;
        return sizeClass;
    }

    /// <summary>/proc/sys/fs/pipe-max-size, read once at start; the 1 MiB the kernel ships with where it cannot be read.</summary>
    public static int ReadPipeMaxSizeBytes()
    {
        try
        {
            return int.TryParse(File.ReadAllText(PipeMaxSizePath).Trim(), out int bytes) && bytes > 0 ? bytes : 1024 * 1024;
        }
        catch (IOException)
        {
            return 1024 * 1024;
        }
        catch (UnauthorizedAccessException)
        {
            return 1024 * 1024;
        }
    }

    private static long RoundUpToPowerOfTwo(long value)
    {
        long power = 1;
        while (power < value) power <<= 1;
        return power;
    }
}
