using System.Globalization;
using System.Runtime.InteropServices;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// What /proc says about a process (Linux): resident memory, open descriptors and CPU time. Read from
/// outside the measured process where possible, so a figure does not depend on the process reporting
/// on itself.
/// </summary>
public static partial class ProcStats
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/&lt;pid&gt;/stat (100 on every Linux ABI .NET runs on).</summary>
    public const int ClockTicksPerSecond = 100;

    /// <summary>VmRSS of <paramref name="pid"/> in bytes (resident anonymous + file + shared memory).</summary>
    public static long RssBytes(int pid) => StatusKiB(pid, "VmRSS:") * 1024;

    /// <summary>A "Name: N kB" line of /proc/&lt;pid&gt;/status, in KiB.</summary>
    public static long StatusKiB(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            string number = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return long.Parse(number, CultureInfo.InvariantCulture);
        }
        throw new InvalidDataException($"/proc/{pid}/status has no {field} line.");
    }

    /// <summary>Entries of /proc/&lt;pid&gt;/fd: the process's open descriptors.</summary>
    public static int FdCount(int pid) => Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();

    /// <summary>
    /// Open descriptors by kind: "socket", "pipe", "anon_inode:[eventpoll]", "anon_inode:[eventfd]", or the
    /// file's path. A descriptor closed while the folder is read is skipped.
    /// </summary>
    public static SortedDictionary<string, int> FdKinds(int pid)
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (string entry in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target;
            try { target = new FileInfo(entry).LinkTarget; }
            catch (IOException) { continue; }
            if (target is null) continue;
            int bracket = target.IndexOf(":[", StringComparison.Ordinal);
            string kind = target.StartsWith("anon_inode:", StringComparison.Ordinal) ? target
                : bracket > 0 ? target[..bracket] // socket:[123], pipe:[456]
                : target;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        return kinds;
    }

    /// <summary>utime + stime of the whole process (live and exited threads) in clock ticks (1/100 s).</summary>
    public static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>Threads of <paramref name="pid"/>.</summary>
    public static int Threads(int pid) => (int)StatusValue(pid, "Threads:");

    private static long StatusValue(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim(), CultureInfo.InvariantCulture);
        throw new InvalidDataException($"/proc/{pid}/status has no {field} line.");
    }

    /// <summary>
    /// CPU time of the calling process, all threads, live and exited, in nanoseconds
    /// (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)): the resolution /proc's clock ticks lack.
    /// </summary>
    public static long SelfCpuNanoseconds()
    {
        if (clock_gettime(ClockProcessCpuTime, out TimeSpec time) != 0) return -1;
        return time.Seconds * 1_000_000_000L + time.Nanoseconds;
    }

    private const int ClockProcessCpuTime = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);
}
