using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ZeroCopyPS.Module.Tests;

/// <summary>
/// A PowerShell runspace hosted in the test process (Microsoft.PowerShell.SDK) with the module
/// imported: the staged module when the build provides it, else the project's build output.
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

    public static string ModulePath()
    {
        string? staged = Environment.GetEnvironmentVariable("ZEROCOPYPS_MODULE_PATH");
        if (!string.IsNullOrEmpty(staged) && File.Exists(Path.Combine(staged, "ZeroCopyPS.psd1")))
            return Path.Combine(staged, "ZeroCopyPS.psd1");
        // tests/ZeroCopyPS.Module.Tests/bin/<Configuration>/net10.0 → src/ZeroCopyPS/bin/<Configuration>/net8.0
        string baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string configuration = Path.GetFileName(Path.GetDirectoryName(baseDir)!);
        string repo = Path.GetFullPath(Path.Combine(baseDir, "../../../../.."));
        string built = Path.Combine(repo, "src/ZeroCopyPS/bin", configuration, "net8.0/ZeroCopyPS.dll");
        if (!File.Exists(built)) throw new FileNotFoundException("Build src/ZeroCopyPS first (or set ZEROCOPYPS_MODULE_PATH).", built);
        return built;
    }

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
