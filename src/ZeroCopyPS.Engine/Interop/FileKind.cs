namespace ZeroCopyPS.Engine.Interop;

/// <summary>What is at a path, without following a symbolic link.</summary>
internal enum FileKind
{
    Missing,
    Socket,
    Directory,
    RegularFile,
    SymbolicLink,
    Fifo,
    Other,
}
