using System.Globalization;

namespace ZeroCopyPS;

/// <summary>
/// One -Target value as the user gave it, before its endpoint is parsed: the endpoint text, its weight and
/// whether it is a backup. <see cref="TargetTransformationAttribute"/> makes these from strings, hashtables
/// and objects; a value whose shape is wrong (a hashtable without Endpoint, a weight that is no number)
/// carries its <see cref="Problem"/>, so that the command reports it with its own error id
/// (<see cref="ErrorIds.InvalidTarget"/>) instead of the binder's generic transformation error.
/// </summary>
public sealed class TargetArgument
{
    internal TargetArgument(string endpoint, int weight, bool backup)
    {
        Endpoint = endpoint;
        Weight = weight;
        Backup = backup;
    }

    private TargetArgument(string problem, object? value)
    {
        Endpoint = "";
        Weight = 1;
        Problem = problem;
        Value = value;
    }

    /// <summary>The endpoint text: HOST:PORT, [IPv6]:PORT, unix:/path or unix:@name.</summary>
    public string Endpoint { get; }

    /// <summary>Relative share of new connections; 1 unless given.</summary>
    public int Weight { get; }

    /// <summary>Takes traffic only while every primary target is down.</summary>
    public bool Backup { get; }

    /// <summary>Why the value given is not a target, or null.</summary>
    internal string? Problem { get; }

    /// <summary>The value the problem is about, for the error record's target object.</summary>
    internal object? Value { get; }

    internal static TargetArgument Invalid(string problem, object? value) => new(problem, value);

    /// <summary>"db1:5432", "db1:5432 (weight 3)", "db3:5432 (backup)": how help, -WhatIf and the job's Target show it.</summary>
    public override string ToString()
    {
        if (Problem is not null) return Problem;
        var extras = new List<string>(2);
        if (Weight != 1) extras.Add("weight " + Weight.ToString(CultureInfo.InvariantCulture));
        if (Backup) extras.Add("backup");
        return extras.Count == 0 ? Endpoint : $"{Endpoint} ({string.Join(", ", extras)})";
    }
}
