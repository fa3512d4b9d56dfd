namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// A long-lived background thread that runs one job at a time: the writer or the reader of the article's
/// setup. Reusing a thread keeps thread start-up out of every iteration (and out of the measurement's noise).
/// A job that throws ends as failed; the worker keeps running until disposed.
/// </summary>
public sealed class PeerWorker : IDisposable
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(true);
    private Func<long>? _job;
    private volatile bool _disposed;

    public PeerWorker(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>What the last job returned (bytes moved), or -1 when it threw.</summary>
    public long Result { get; private set; }

    public Exception? Error { get; private set; }

    public void Start(Func<long> job)
    {
        if (!_done.IsSet) throw new InvalidOperationException("The previous job is still running.");
        _done.Reset();
        _job = job;
        _start.Release();
    }

    /// <summary>A reader's job: reads <paramref name="socket"/> to its end through <paramref name="buffer"/>; the bytes read.</summary>
    public static long ReadToEnd(System.Net.Sockets.Socket socket, byte[] buffer)
    {
        long total = 0;
        int read;
        while ((read = socket.Receive(buffer, 0, buffer.Length, System.Net.Sockets.SocketFlags.None)) > 0) total += read;
        return total;
    }

    /// <summary>True when the job finished within the timeout.</summary>
    public bool Wait(TimeSpan timeout) => _done.Wait(timeout);

    private void Loop()
    {
        while (true)
        {
            _start.Wait();
            if (_disposed) return;
            try
            {
                Error = null;
                Result = _job!();
            }
            catch (Exception e)
            {
                Error = e;
                Result = -1;
            }
            finally
            {
                _job = null;
                _done.Set();
            }
        }
    }

    /// <summary>Stops the thread once its current job ends (the caller closes the job's socket to end it).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _start.Release();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
