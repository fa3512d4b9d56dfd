namespace ZeroCopyPS.Engine.Interop;

/// <summary>The identity of a file: device and inode, as lstat reports them.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode);
