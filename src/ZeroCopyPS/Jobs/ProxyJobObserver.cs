using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The engine's observer for a proxy job, kept off the job's public surface. Runs on engine threads: it only
/// hands over (<see cref="ZeroCopyProxyJob.Publish"/>) and never throws, the engine's contract for observers.
/// </summary>
internal sealed class ProxyJobObserver : IProxyObserver
{
    private readonly ZeroCopyProxyJob _job;

    public ProxyJobObserver(ZeroCopyProxyJob job) => _job = job;

    public void OnConnectionClosed(ConnectionStatistics statistics)
    {
        try
        {
            _job.Publish(statistics);
        }
        catch (Exception)
        {
            // A lost statistic is the lesser harm than an engine thread that dies.
        }
    }

    public void OnEngineFaulted(Exception error)
    {
        try
        {
            _job.OnEngineFaulted(error);
        }
        catch (Exception)
        {
            // Same contract as above.
        }
    }
}
