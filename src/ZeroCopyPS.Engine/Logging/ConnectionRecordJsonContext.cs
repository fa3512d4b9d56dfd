using System.Text.Json.Serialization;

namespace ZeroCopyPS.Engine.Logging;

/// <summary>
/// Source-generated System.Text.Json metadata for the access log (no reflection at run time, so the
/// writer thread serialises without warm-up costs): enums as their names, compact one-line output.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(ConnectionRecord))]
[JsonSerializable(typeof(DroppedRecordsNotice))]
public sealed partial class ConnectionRecordJsonContext : JsonSerializerContext
{
}
