using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Turns the values of Start-ZeroCopyProxy -Fault (after <see cref="FaultTransformationAttribute"/>) into the
/// engine's faults: a problem is a terminating error with its own id, raised before anything starts; a fault
/// without a name gets the default one (latency_toclient), made unique among the faults given.
/// </summary>
internal static class FaultList
{
    public static List<ProxyFault> Parse(PSCmdlet cmdlet, object[] values)
    {
        var arguments = values.Select(FaultTransformationAttribute.Convert).ToList();
        foreach (FaultArgument argument in arguments.Where(a => a.Fault is null))
        {
            cmdlet.ThrowTerminatingError(argument.ErrorId switch
            {
                ErrorIds.FaultParameterNotForKind => FaultErrors.NotForKind(argument.Problem!, argument.Kind, argument.Value, "-Fault: "),
                ErrorIds.InvalidFaultSetting => FaultErrors.InvalidSetting(argument.Error!, argument.Kind, argument.Value, "-Fault: "),
                _ => FaultErrors.InvalidFault(argument.Problem!, argument.Value),
            });
        }
        if (arguments.Count > ProxyOptionLimits.FaultsMaximum)
            cmdlet.ThrowTerminatingError(FaultErrors.TooMany($"-Fault: {arguments.Count} faults given; a proxy takes at most {ProxyOptionLimits.FaultsMaximum}.", arguments.Count));

        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (ProxyFault named in arguments.Select(a => a.Fault!).Where(f => f.Name.Length > 0))
            if (!taken.Add(named.Name)) cmdlet.ThrowTerminatingError(FaultErrors.DuplicateName(named.Name));
        // Defaults are made after every given name is known, so that a default never takes a name given later in the list.
        var faults = new List<ProxyFault>(arguments.Count);
        foreach (ProxyFault fault in arguments.Select(a => a.Fault!))
        {
            if (fault.Name.Length > 0)
            {
                faults.Add(fault);
                continue;
            }
            string name = FaultSettings.UniqueName(FaultSettings.DefaultName(fault.Kind, fault.Direction), taken);
            taken.Add(name);
            faults.Add(fault with { Name = name });
        }
        return faults;
    }
}
