using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>Finds proxy jobs in the session's job repository by name (wildcards) or id, for the proxy and connection cmdlets.</summary>
internal static class ProxyJobLookup
{
    public static IEnumerable<ZeroCopyProxyJob> All(PSCmdlet cmdlet) =>
        cmdlet.JobRepository.Jobs.OfType<ZeroCopyProxyJob>().OrderBy(j => j.Id);

    /// <summary>
    /// Jobs whose name matches any of the patterns, each once. A pattern without wildcards that
    /// matches nothing writes ProxyNotFound (like Get-Job -Name); a wildcard matching nothing is silent.
    /// </summary>
    public static IEnumerable<ZeroCopyProxyJob> ByName(PSCmdlet cmdlet, string[] names, string parameterName = "Name")
    {
        // Every pattern is checked before the first job is returned, so a bad one stops nothing.
        var patterns = names.Select(name => Pattern(cmdlet, name, parameterName)).ToList();
        var seen = new HashSet<int>();
        List<ZeroCopyProxyJob> jobs = All(cmdlet).ToList();
        foreach ((string name, WildcardPattern pattern) in names.Zip(patterns))
        {
            // A name that is itself a proxy's name wins. Start refuses names with wildcard characters, but
            // Job.Name can be set afterwards, and such a proxy must still be found by its own name.
            bool exact = jobs.Any(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase));
            bool found = false;
            foreach (ZeroCopyProxyJob job in jobs.Where(j => exact ? string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase) : pattern.IsMatch(j.Name)))
            {
                found = true;
                if (seen.Add(job.Id)) yield return job;
            }

            if (!found && !WildcardPattern.ContainsWildcardCharacters(name))
                cmdlet.WriteError(ProxyLookupErrors.NotFound($"-{parameterName} '{EndpointArgument.Show(name)}': no ZeroCopyPS proxy of this session has that name.", name));
        }
    }

    public static IEnumerable<ZeroCopyProxyJob> ById(PSCmdlet cmdlet, int[] ids)
    {
        foreach (int id in ids)
        {
            ZeroCopyProxyJob? job = All(cmdlet).FirstOrDefault(j => j.Id == id);
            if (job is not null)
            {
                yield return job;
                continue;
            }
            // `Get-Job | Stop-ZeroCopyProxy` binds every job's Id: say why another kind of job is passed over.
            Job? other = cmdlet.JobRepository.Jobs.FirstOrDefault(j => j.Id == id);
            cmdlet.WriteError(other is null
                ? ProxyLookupErrors.NotFound($"-Id {id}: no ZeroCopyPS proxy of this session has that job Id.", id)
                : ProxyLookupErrors.NotAProxy(other, $"-Id {id} is job '{other.Name}' ({other.PSJobTypeName}), not a ZeroCopyPS proxy; it was left alone."));
        }
    }

    /// <summary>The proxy jobs among <paramref name="jobs"/>; each other job gets a NotAProxyJob error and is left alone.</summary>
    public static IEnumerable<ZeroCopyProxyJob> OnlyProxies(PSCmdlet cmdlet, IEnumerable<Job> jobs)
    {
        foreach (Job job in jobs)
        {
            if (job is ZeroCopyProxyJob proxy) yield return proxy;
            else cmdlet.WriteError(ProxyLookupErrors.NotAProxy(job, $"-InputObject: job {job.Id} ('{job.Name}', {job.PSJobTypeName}) is not a ZeroCopyPS proxy; it was left alone."));
        }
    }

    // A malformed pattern ('web[') would otherwise throw WildcardPatternException out of the first
    // IsMatch, as a generic RuntimeException, and only when some proxy exists to match against.
    private static WildcardPattern Pattern(PSCmdlet cmdlet, string name, string parameterName)
    {
        var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
        try
        {
            pattern.IsMatch("");
        }
        catch (WildcardPatternException e)
        {
            cmdlet.ThrowTerminatingError(ProxyLookupErrors.InvalidPattern(name, e, parameterName));
        }
        return pattern;
    }
}
