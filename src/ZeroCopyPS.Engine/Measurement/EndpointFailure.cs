namespace ZeroCopyPS.Engine.Measurement;

/// <summary>Why an endpoint measurement stopped; the cmdlet layer gives each its own error id.</summary>
public enum EndpointFailure
{
    /// <summary>Nothing accepted the connection (refused, unreachable, no socket file, no name).</summary>
    ConnectFailed,

    /// <summary>The endpoint does not echo: it closed the stream, returned other bytes, or returned nothing.</summary>
    NotEchoing,

    /// <summary>The echo moved, but not all of it within -Duration; the message says which side stopped.</summary>
    TimedOut,

    /// <summary>A socket error in the middle of the measurement.</summary>
    Failed,
}
