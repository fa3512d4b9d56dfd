namespace ZeroCopyPS.Engine.Policy;

/// <summary>Names the copy path from the bytes each path delivered; one rule for every report.</summary>
internal static class CopyPathClassifier
{
    public static CopyPath Classify(long bytesSpliced, long bytesCopied) => (bytesSpliced > 0, bytesCopied > 0) switch
    {
        (true, true) => CopyPath.Mixed,
        (true, false) => CopyPath.Splice,
        (false, true) => CopyPath.Buffered,
        _ => CopyPath.None,
    };
}
