namespace ZeroCopyPS.Engine.Interop;

/// <summary>A native call failed; the message names the call and the errno.</summary>
public sealed class NativeCallException : IOException
{
    public NativeCallException(string call, int errno)
        : base($"{call} failed: {Interop.Errno.Describe(errno)}")
    {
        Call = call;
        Errno = errno;
    }

    public string Call { get; }

    public int Errno { get; }
}
