namespace ZeroCopyPS.Engine;

/// <summary>Why a connection that could have been spliced was copied through user space instead.</summary>
public enum FallbackReason
{
    /// <summary>No fallback happened.</summary>
    None = 0,

    /// <summary>
    /// The global pipe budget (<c>MaxPipes</c>) was used up when the direction needed a pipe. This and the
    /// other shortages of pipes last for one burst: the direction tries splice again with its next one.
    /// </summary>
    PipeBudgetExhausted = 1,

    /// <summary>pipe2(2) failed (EMFILE, ENFILE, or the per-user pipe-user-pages-soft limit).</summary>
    PipeCreationFailed = 2,

    /// <summary>The first splice(2) of the direction returned EINVAL, ENOSYS or EBADF with no byte moved: the socket type is not spliceable.</summary>
    SpliceNotSupported = 3,

    /// <summary>The platform has no splice (not Linux): the portable managed engine copies through buffers.</summary>
    PlatformWithoutSplice = 4,

    /// <summary>The source sent TCP urgent (out-of-band) data, which splice(2) cannot read past; it is forwarded in-band.</summary>
    UrgentData = 5,

    /// <summary>The process's descriptor budget (its RLIMIT_NOFILE less headroom for the runtime) had no room for a pipe's two descriptors.</summary>
    DescriptorLimit = 6,

    /// <summary>
    /// The kernel made a pipe smaller than its 64 KiB default (the user's pipes passed
    /// pipe-user-pages-soft); it was closed unused, as splicing one page at a time costs more than copying.
    /// </summary>
    PipeTooSmall = 7,

    /// <summary>The portable managed engine was chosen (-Engine Managed) on Linux, where splice exists; it copies through buffers.</summary>
    ManagedEngine = 8,

    /// <summary>
    /// An injected fault applied to the direction (docs/ARCHITECTURE.md, "Fault injection"): it held bytes
    /// back or paced them, so it copied through buffers while the fault lasted.
    /// </summary>
    FaultInjected = 9,
}
