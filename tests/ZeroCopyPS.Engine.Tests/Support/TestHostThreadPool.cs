using System.Runtime.CompilerServices;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// The test host keeps two thread-pool threads blocked for the whole run (stacks taken with dotnet-stack during
/// a managed-engine fault test: the test platform's message loop in a blocking Socket.Poll, and xunit's
/// RunTestsInAssembly in a WaitOne). On a 2-core machine that is the pool's whole minimum, so every other pool
/// work item (the managed engine's timer tick, its I/O continuations) waited for the pool's starvation
/// injection, about 500 ms: a Stall with a 1 s CloseAfter reset after 1,550 ms when run alone. A pwsh host
/// does not block pool threads that way; the test host gets two more threads than it blocks.
/// </summary>
internal static class TestHostThreadPool
{
    private const int ThreadsTheHostBlocks = 2;

    [ModuleInitializer]
    internal static void RaiseMinimum()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        int wanted = Environment.ProcessorCount + ThreadsTheHostBlocks;
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, completionPorts);
    }
}
