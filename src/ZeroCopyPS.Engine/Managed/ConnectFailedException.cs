namespace ZeroCopyPS.Engine.Managed;

/// <summary>No target answered within the connect timeout; the message is the record's error text (or the connector's placeholder).</summary>
internal sealed class ConnectFailedException(string message = "Connecting to the target failed.") : Exception(message);
