using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ZeroCopyPS.Module.Tests;

/// <summary>
/// A PowerShell runspace hosted in the test process (Microsoft.PowerShell.SDK) with the module
/// imported from the project's build output.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    private readonly Runspace _runspace;

    public ModuleSession()
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        Invoke($"Import-Module -Name '{ModulePath()}' -ErrorAction Stop");
    }

    /// <summary>
    /// The module assembly this project references, the very file the tests' own code has loaded: importing
    /// another copy (the staged one) into the same process would fail with "assembly with same name is already
    /// loaded". The staged module, with its manifest and format files, is what the Pester suites import.
    /// </summary>
    public static string ModulePath() => typeof(ZeroCopyPS.ZeroCopyProxyJob).Assembly.Location;

    /// <summary>Runs a script; a terminating error surfaces as the RuntimeException it is.</summary>
    public Collection<PSObject> Invoke(string script, IDictionary<string, object?>? variables = null) =>
        Invoke(script, variables, out _);

    public Collection<PSObject> Invoke(string script, IDictionary<string, object?>? variables, out IReadOnlyList<ErrorRecord> errors)
    {
        using PowerShell shell = PowerShell.Create();
        shell.Runspace = _runspace;
        if (variables is not null)
            foreach (var (name, value) in variables) _runspace.SessionStateProxy.SetVariable(name, value);
        shell.AddScript(script);
        Collection<PSObject> output = shell.Invoke();
        errors = shell.Streams.Error.ToList();
        return output;
    }

    public void Dispose()
    {
        try { Invoke("Get-Job | Remove-Job -Force"); } catch (Exception) { }
        _runspace.Dispose();
    }
}
