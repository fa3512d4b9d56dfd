namespace ZeroCopyPS.Engine.Managed;

/// <summary>Every target address failed or the connect timeout passed; the connection's core has the text.</summary>
internal sealed class ConnectFailedException() : Exception("Connecting to the target failed.");
