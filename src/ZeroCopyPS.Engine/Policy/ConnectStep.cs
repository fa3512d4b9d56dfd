using System.Net;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>What a <see cref="ConnectSequencer"/> asks its engine to do next.</summary>
internal readonly record struct ConnectStep(ConnectStepKind Kind, EndPoint? Address, long AtMs)
{
    public static ConnectStep Start(EndPoint address, long attemptDeadlineMs) => new(ConnectStepKind.Start, address, attemptDeadlineMs);

    public static ConnectStep WaitUntil(long atMs) => new(ConnectStepKind.Wait, null, atMs);

    public static readonly ConnectStep GiveUp = new(ConnectStepKind.GiveUp, null, 0);
}
