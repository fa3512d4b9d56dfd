using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Turns the values of -Target (after <see cref="TargetTransformationAttribute"/>) into the engine's targets,
/// for Start- and Set-ZeroCopyProxy alike: a shape problem is InvalidTarget, a malformed endpoint
/// InvalidEndpoint, both terminating and both raised before anything starts or changes.
/// </summary>
internal static class TargetList
{
    public static List<ProxyTarget> Parse(PSCmdlet cmdlet, object[] values)
    {
        string directory = cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var targets = new List<ProxyTarget>(values.Length);
        foreach (object value in values)
        {
            // The transformation makes TargetArguments; a value bound some other way (a script's splat of strings) is read the same way.
            TargetArgument target = value as TargetArgument
                ?? (new TargetTransformationAttribute().Transform(null!, value) is object[] { Length: 1 } one && one[0] is TargetArgument only
                    ? only
                    : TargetArgument.Invalid($"'{value}' is not a target.", value));
            if (target.Problem is { } problem) cmdlet.ThrowTerminatingError(RoutingErrors.InvalidTarget(problem, target.Value));
            ProxyEndpoint endpoint;
            try
            {
                endpoint = EndpointArgument.Parse(target.Endpoint, EndpointRole.Target, directory);
            }
            catch (FormatException e)
            {
                cmdlet.ThrowTerminatingError(ProxyStartErrors.InvalidEndpoint(e, target.Endpoint, "Target"));
                throw; // unreachable: ThrowTerminatingError always throws
            }
            targets.Add(new ProxyTarget(endpoint, target.Weight, target.Backup));
        }
        if (targets.Count > ProxyOptionLimits.TargetsMaximum) cmdlet.ThrowTerminatingError(RoutingErrors.TooManyTargets(targets.Count));
        return targets;
    }

    /// <summary>"db1:5432, db2:5432 (weight 3), db3:5432 (backup)": the job's Target and -WhatIf text.</summary>
    public static string Describe(IEnumerable<ProxyTarget> targets) =>
        string.Join(", ", targets.Select(t => new TargetArgument(t.Endpoint.Text, t.Weight, t.Backup).ToString()));
}
