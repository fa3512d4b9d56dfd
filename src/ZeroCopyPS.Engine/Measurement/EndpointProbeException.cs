namespace ZeroCopyPS.Engine.Measurement;

/// <summary>An endpoint measurement that could not finish, with the reason as <see cref="EndpointFailure"/>.</summary>
public sealed class EndpointProbeException : Exception
{
    public EndpointProbeException(EndpointFailure failure, string message, Exception? inner = null) : base(message, inner) => Failure = failure;

    public EndpointFailure Failure { get; }
}
