namespace ZeroCopyPS.Engine;

/// <summary>A proxy could not start; nothing is left running or bound.</summary>
public sealed class ProxyStartException : Exception
{
    public ProxyStartException(ProxyStartFailure failure, string endpoint, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        Endpoint = endpoint;
    }

    public ProxyStartFailure Failure { get; }

    /// <summary>The endpoint text the failure is about.</summary>
    public string Endpoint { get; }
}
