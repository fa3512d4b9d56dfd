using System.Globalization;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// A byte count as people write sizes: "64 KiB", "1 MiB", "1000 bytes". Exact only: a size that is not a
/// whole number of KiB stays in bytes, so a label or a range message never rounds a limit.
/// </summary>
public static class ByteSizeText
{
    public static string Describe(long bytes) => bytes switch
    {
        0 => "0 bytes",
        _ when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        _ when bytes % (1L << 20) == 0 => $"{bytes >> 20} MiB",
        _ when bytes % (1L << 10) == 0 => $"{bytes >> 10} KiB",
        1 => "1 byte",
        _ => $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes",
    };
}
