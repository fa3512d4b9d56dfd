namespace ZeroCopyPS.Engine.Policy;

/// <summary>What <see cref="ConnectionCore.CheckLoop"/> found.</summary>
internal enum LoopCheck
{
    /// <summary>No loop: go on.</summary>
    None,

    /// <summary>The stream already passed through this proxy: reset it.</summary>
    Loop,

    /// <summary>A connect of this process to this listener has not registered its port yet: ask again shortly.</summary>
    Wait,
}
