namespace ZeroCopyPS.Engine.Policy;

/// <summary>The target's name did not resolve and no earlier answer exists; the message names the target.</summary>
internal sealed class DnsLookupException(string message, Exception inner) : Exception(message, inner);
