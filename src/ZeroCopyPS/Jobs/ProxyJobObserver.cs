using System.Management.Automation;
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

    /// <summary>
    /// A target went down or came back: one record on the job's Information stream, with the reason. Rare, so it
    /// goes through the thread pool rather than the statistics hand-off; the engine thread never takes the stream's lock.
    /// </summary>
    public void OnTargetStateChanged(TargetStateChange change)
    {
        try
        {
            ThreadPool.QueueUserWorkItem(static state =>
            {
                (ZeroCopyProxyJob job, TargetStateChange change) = ((ZeroCopyProxyJob, TargetStateChange))state!;
                var record = new InformationRecord(new ZeroCopyTargetStateChange(change), "ZeroCopyPS/" + change.ProxyName)
                {
                    TimeGenerated = change.Time.LocalDateTime,
                };
                record.Tags.Add("TargetStateChanged");
                record.Tags.Add(change.Health.ToString());
                job.AddInformation(record);
            }, (_job, change));
        }
        catch (Exception)
        {
            // Same contract as above.
        }
    }
}
