using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>Finds proxy jobs in the session's job repository by name (wildcards) or id, for Get- and Stop-ZeroCopyProxy.</summary>
internal static class ProxyJobLookup
{
    public static IEnumerable<ZeroCopyProxyJob> All(PSCmdlet cmdlet) =>
        cmdlet.JobRepository.Jobs.OfType<ZeroCopyProxyJob>().OrderBy(j => j.Id);

    /// <summary>
    /// Jobs whose name matches any of the patterns, each once. A pattern without wildcards that
    /// matches nothing writes ProxyNotFound (like Get-Job -Name); a wildcard matching nothing is silent.
    /// </summary>
    public static IEnumerable<ZeroCopyProxyJob> ByName(PSCmdlet cmdlet, string[] names)
    {
        var seen = new HashSet<int>();
        List<ZeroCopyProxyJob> jobs = All(cmdlet).ToList();
        foreach (string name in names)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            // A name that is itself a proxy's name wins, so 'web[1]' finds the proxy called web[1].
            bool exact = jobs.Any(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase));
            bool found = false;
            foreach (ZeroCopyProxyJob job in jobs.Where(j => exact ? string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase) : pattern.IsMatch(j.Name)))
            {
                found = true;
                if (seen.Add(job.Id)) yield return job;
            }

            if (!found && !WildcardPattern.ContainsWildcardCharacters(name))
                cmdlet.WriteError(NotFound($"No ZeroCopyPS proxy named '{name}' exists in this session.", name));
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
                ? NotFound($"No ZeroCopyPS proxy with job Id {id} exists in this session.", id)
                : NotAProxy(other));
        }
    }

    /// <summary>The proxy jobs among <paramref name="jobs"/>; each other job gets a NotAProxyJob error and is left alone.</summary>
    public static IEnumerable<ZeroCopyProxyJob> OnlyProxies(PSCmdlet cmdlet, IEnumerable<Job> jobs)
    {
        foreach (Job job in jobs)
        {
            if (job is ZeroCopyProxyJob proxy) yield return proxy;
            else cmdlet.WriteError(NotAProxy(job));
        }
    }

    private static ErrorRecord NotAProxy(Job job) =>
        new(new ArgumentException($"Job {job.Id} ('{job.Name}', {job.PSJobTypeName}) is not a ZeroCopyPS proxy; it was left alone."),
            "NotAProxyJob", ErrorCategory.InvalidArgument, job);

    private static ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), "ProxyNotFound", ErrorCategory.ObjectNotFound, target);
}
