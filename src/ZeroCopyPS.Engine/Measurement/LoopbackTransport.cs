namespace ZeroCopyPS.Engine.Measurement;

/// <summary>The stream sockets an in-process measurement copies between.</summary>
public enum LoopbackTransport
{
    /// <summary>TCP on 127.0.0.1.</summary>
    Tcp,

    /// <summary>Unix stream sockets in the temp folder.</summary>
    Unix,
}
