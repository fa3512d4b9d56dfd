namespace ZeroCopyPS.Engine;

/// <summary>A target went down or came back up; what the proxy reports to its observer.</summary>
public sealed record TargetStateChange(string ProxyName, string Target, TargetHealth Health, string Reason, DateTimeOffset Time);
