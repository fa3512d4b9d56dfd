using System.Globalization;

namespace ZeroCopyPS;

/// <summary>
/// Human-readable sizes and durations for the default table views (ZeroCopyPS.format.ps1xml calls
/// these), so every view rounds and names units the same way.
/// </summary>
public static class DisplayFormat
{
    private static readonly string[] ByteUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>1536 → "1.5 KiB"; whole bytes below 1 KiB.</summary>
    public static string Bytes(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < ByteUnits.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? bytes.ToString("N0", CultureInfo.CurrentCulture) + " B"
            : value.ToString("N1", CultureInfo.CurrentCulture) + " " + ByteUnits[unit];
    }

    /// <summary>"850 µs", "12.3 ms", "4.21 s", "3:05 min", "2:04:10 h".</summary>
    public static string Duration(TimeSpan duration)
    {
        CultureInfo culture = CultureInfo.CurrentCulture;
        if (duration < TimeSpan.FromMilliseconds(1)) return (duration.Ticks / 10).ToString("N0", culture) + " µs";
        if (duration < TimeSpan.FromSeconds(1)) return duration.TotalMilliseconds.ToString("N1", culture) + " ms";
        if (duration < TimeSpan.FromMinutes(1)) return duration.TotalSeconds.ToString("N2", culture) + " s";
        if (duration < TimeSpan.FromHours(1)) return duration.ToString(@"m\:ss", culture) + " min";
        return ((int)duration.TotalHours).ToString(culture) + duration.ToString(@"\:mm\:ss", culture) + " h";
    }
}
