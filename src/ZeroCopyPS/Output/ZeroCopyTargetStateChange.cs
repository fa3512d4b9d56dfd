using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// A target of a proxy went down or came back up: the MessageData of the record on the job's Information stream.
/// Receive-Job prints its text; scripts read its properties ($record.MessageData.Health).
/// </summary>
public sealed class ZeroCopyTargetStateChange
{
    internal ZeroCopyTargetStateChange(TargetStateChange change)
    {
        ProxyName = change.ProxyName;
        Target = change.Target;
        Health = change.Health;
        Reason = change.Reason;
        Time = change.Time;
    }

    public string ProxyName { get; }

    /// <summary>The target as configured.</summary>
    public string Target { get; }

    /// <summary>Up or Down, after the change.</summary>
    public TargetHealth Health { get; }

    /// <summary>Why: the connect failures that marked it down, or the check that brought it back.</summary>
    public string Reason { get; }

    public DateTimeOffset Time { get; }

    /// <summary>"Proxy 'db': target db2:5432 is Down: 3 connects in a row failed (...)", what Receive-Job prints.</summary>
    public override string ToString() => $"Proxy '{ProxyName}': target {Target} is {Health}: {Reason}";
}
