using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ZeroCopyPS.TestSupport;

/// <summary>A child process whose stdout/stderr lines are collected as they arrive.</summary>
public sealed class ChildProcess : IDisposable
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private readonly Process _process;
    private readonly List<string> _stdout = new List<string>();
    private readonly List<string> _stderr = new List<string>();
    private readonly DateTime _started = DateTime.UtcNow;
    private bool _stdoutClosed;

    private ChildProcess(ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (s, e) => { lock (_stdout) { if (e.Data != null) _stdout.Add(e.Data); else _stdoutClosed = true; Monitor.PulseAll(_stdout); } };
        _process.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (_stderr) _stderr.Add(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Runs <paramref name="arguments"/> through bash after <paramref name="prelude"/> (ulimit, umask), exec'd: same PID.</summary>
    public static ChildProcess Start(string prelude, string[] arguments)
    {
        var info = new ProcessStartInfo("/bin/bash");
        info.ArgumentList.Add("-c");
        // env --default-signal=INT: a shell started in the background (CI runners, `cmd &`) hands its
        // children SIGINT ignored, and bash cannot undo that; the child must get Ctrl+C as a user would.
        info.ArgumentList.Add(prelude + "\nexec env --default-signal=INT \"$@\"");
        info.ArgumentList.Add("bash");
        foreach (string a in arguments) info.ArgumentList.Add(a);
        return new ChildProcess(info);
    }

    public int Id { get { return _process.Id; } }
    public bool HasExited { get { return _process.HasExited; } }
    public int ExitCode { get { return _process.ExitCode; } }
    /// <summary>Seconds from start to exit (or to now while it runs).</summary>
    public double SecondsAlive { get { return ((_process.HasExited ? _process.ExitTime.ToUniversalTime() : DateTime.UtcNow) - _started).TotalSeconds; } }
    public string StandardOutput { get { lock (_stdout) return string.Join("\n", _stdout); } }
    public string StandardError { get { lock (_stderr) return string.Join("\n", _stderr); } }

    /// <summary>The rest of the first stdout line that starts with <paramref name="prefix"/>, or null after the timeout or exit.</summary>
    public string? WaitForLine(string prefix, int timeoutMs)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        lock (_stdout)
        {
            while (true)
            {
                foreach (string line in _stdout) if (line.StartsWith(prefix, StringComparison.Ordinal)) return line.Substring(prefix.Length);
                int left = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
                if (left <= 0 || _stdoutClosed) return null;
                Monitor.Wait(_stdout, Math.Min(left, 200));
            }
        }
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>kill(2) with the given signal number; returns 0 or the errno.</summary>
    public int Signal(int signal)
    {
        return kill(_process.Id, signal) == 0 ? 0 : Marshal.GetLastWin32Error();
    }

    public bool WaitForExit(int timeoutMs) { return _process.WaitForExit(timeoutMs); }

    /// <summary>Closes stdin (a job-mode host then removes its proxies and exits); after 2 s, SIGKILL by PID.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                try { _process.StandardInput.Close(); } catch (Exception) { }
                if (!_process.WaitForExit(2000)) { _process.Kill(true); _process.WaitForExit(10000); }
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
