namespace ZeroCopyPS.Engine.Policy;

/// <summary>Which socket of a direction a failed call was made on.</summary>
internal enum RelaySide
{
    Source,
    Destination,
}
