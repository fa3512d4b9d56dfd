namespace ZeroCopyPS.TestSupport;

/// <summary>Open descriptors of this test process, from /proc/self/fd.</summary>
public static class ProcessFds
{
    public static int Count() => Directory.GetFiles("/proc/self/fd").Length;

    public static int PipeCount() =>
        Directory.GetFiles("/proc/self/fd").Count(f =>
        {
            try { return new FileInfo(f).LinkTarget?.StartsWith("pipe:") == true; }
            catch (IOException) { return false; }
        });
}
