namespace ZeroCopyPS.Engine.Policy;

/// <summary>The kinds of <see cref="ConnectStep"/>.</summary>
internal enum ConnectStepKind
{
    /// <summary>Start an attempt to <see cref="ConnectStep.Address"/>; give it up at <see cref="ConnectStep.AtMs"/>.</summary>
    Start,

    /// <summary>Nothing to start now; ask again at <see cref="ConnectStep.AtMs"/> or when an attempt ends.</summary>
    Wait,

    /// <summary>Every address failed or the connect timeout passed.</summary>
    GiveUp,
}
