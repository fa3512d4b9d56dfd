namespace ZeroCopyPS.Engine;

/// <summary>What actually carried a connection's bytes.</summary>
public enum CopyPath
{
    /// <summary>No byte moved.</summary>
    None = 0,

    /// <summary>Every byte went through splice(2).</summary>
    Splice = 1,

    /// <summary>Every byte went through a user-space buffer.</summary>
    Buffered = 2,

    /// <summary>Some bytes were spliced and some copied (Auto mode, or a fallback in one direction).</summary>
    Mixed = 3,

    /// <summary>Every byte went through sendfile(2) from a file: Measure-SocketCopy -Source File only, never a proxy connection.</summary>
    Sendfile = 4,
}
