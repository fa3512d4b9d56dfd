namespace ZeroCopyPS.Engine.Epoll;

/// <summary>What asking an empty pipe to grow one size class came to.</summary>
internal enum PipeGrowth
{
    /// <summary>The pipe has the next size class.</summary>
    Grown,

    /// <summary>The pipe is of the largest class already.</summary>
    AtCap,

    /// <summary>The byte budget (MaxPipeMemoryBytes) has no room: the pipe keeps its size, nothing was asked of the kernel.</summary>
    BudgetFull,

    /// <summary>The kernel refused (EPERM, EBUSY, ENOMEM) or gave less than asked: the pipe keeps what it got, counted.</summary>
    Refused,
}
