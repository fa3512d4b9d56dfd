namespace ZeroCopyPS.Engine.Copy;

/// <summary>Why a connection that could have been spliced was copied through user space instead.</summary>
public enum FallbackReason
{
    /// <summary>No fallback happened.</summary>
    None = 0,

    /// <summary>The global pipe budget (<c>MaxPipes</c>) was used up when the direction needed a pipe.</summary>
    PipeBudgetExhausted = 1,

    /// <summary>pipe2(2) failed (EMFILE, ENFILE, or the per-user pipe-user-pages-soft limit).</summary>
    PipeCreationFailed = 2,

    /// <summary>The first splice(2) of the direction returned EINVAL, ENOSYS or EBADF with no byte moved: the socket type is not spliceable.</summary>
    SpliceNotSupported = 3,

    /// <summary>The engine runs without splice: not Linux, or the portable managed engine was chosen.</summary>
    PlatformWithoutSplice = 4,

    /// <summary>The source sent TCP urgent (out-of-band) data, which splice(2) cannot read past; it is forwarded in-band.</summary>
    UrgentData = 5,

    /// <summary>The process's descriptor budget (its RLIMIT_NOFILE less headroom for the runtime) had no room for a pipe's two descriptors.</summary>
    DescriptorLimit = 6,
}
