<#
The helpers every script of the repository shares (build.ps1, Build-Help, New-Package, Demo, Compare-Peers,
Invoke-Soak, the tests' child processes): the repository's properties, child pwsh processes bounded in time,
tracked background processes ended by PID, and /proc readings. One copy of each, imported with
Import-Module (Join-Path $PSScriptRoot 'ZeroCopyPS.Scripts.psm1') (or ../scripts/ from tests/).
#>

Set-StrictMode -Version 3.0

$script:RepoRoot = Split-Path -Parent $PSScriptRoot

function Get-RepoRoot { $script:RepoRoot }

function Get-RepoProperty {
    <# A property of Directory.Build.props (ModuleTargetFramework, HostTargetFramework, Version): written there once, read here. #>
    param([Parameter(Mandatory)] [string] $Name)
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $script:RepoRoot 'Directory.Build.props'))
    $value = @($props.Project.PropertyGroup | ForEach-Object { $_[$Name] } | Where-Object { $_ })
    if (-not $value) { throw "Directory.Build.props has no <$Name>." }
    $value[0].InnerText
}

function Get-PwshCommand {
    <#
    The command that runs this very PowerShell, as an array: `dotnet <PSHOME>/pwsh.dll` under `dotnet pwsh`
    (the local tool's launcher would be a second process, and the one signalled or sampled must be pwsh itself),
    the running pwsh otherwise. No second tool restore, no PATH lookup. Callers wrap it: @(Get-PwshCommand).
    #>
    $self = [Environment]::ProcessPath
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet' -and (Test-Path -LiteralPath $dll)) { return $self, $dll }
    $self
}

function Invoke-ChildPwsh {
    <#
    Runs this PowerShell as a child with -NoProfile -NonInteractive and -Arguments; returns its exit code (and
    sets $LASTEXITCODE). -LogPath sends the child's output to that file instead of the console. -TimeoutMinutes
    bounds it: a hung child is ended, with its process tree, and the exit code is 124. -Environment adds or
    replaces variables for the child only (a $null value removes one). Why a child at all: a binary module
    cannot be unloaded and locks its dll.
    #>
    param(
        [Parameter(Mandatory)] [string[]] $Arguments,
        [double] $TimeoutMinutes = 0,
        [string] $LogPath,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory
    )
    $command = @(Get-PwshCommand)
    $info = [Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($a in @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments) { $info.ArgumentList.Add($a) }
    foreach ($key in $Environment.Keys) {
        if ($null -eq $Environment[$key]) { [void]$info.Environment.Remove($key) } else { $info.Environment[$key] = [string]$Environment[$key] }
    }
    if ($WorkingDirectory) { $info.WorkingDirectory = $WorkingDirectory }
    $info.UseShellExecute = $false
    if ($LogPath) {
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $LogPath)
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
    }
    $child = [Diagnostics.Process]::Start($info)
    $copies = @()
    $files = @()
    try {
        if ($LogPath) {
            # .NET copies, not PowerShell event handlers (those would need a runspace on the pool's threads);
            # stderr goes to its own file and is appended to the log when the child ends.
            $files = @([IO.File]::Create($LogPath), [IO.File]::Create("$LogPath.stderr"))
            $copies = @($child.StandardOutput.BaseStream.CopyToAsync($files[0]), $child.StandardError.BaseStream.CopyToAsync($files[1]))
        }
        $milliseconds = if ($TimeoutMinutes -gt 0) { [int]($TimeoutMinutes * 60000) } else { -1 }
        $code = 124
        if ($child.WaitForExit($milliseconds)) {
            $child.WaitForExit()
            $code = $child.ExitCode
        }
        else {
            Write-Host "  child pwsh (PID $($child.Id)) still running after $TimeoutMinutes min: ending it"
            $child.Kill($true)
            $child.WaitForExit()
        }
        if ($copies) { $null = [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]]$copies, 10000) }
        $global:LASTEXITCODE = $code
        $code
    }
    finally {
        foreach ($file in $files) { $file.Dispose() }
        if ($LogPath -and (Test-Path -LiteralPath "$LogPath.stderr")) {
            $errors = Get-Content -Raw -LiteralPath "$LogPath.stderr"
            if ($errors) { Add-Content -LiteralPath $LogPath -Value "--- stderr`n$errors" }
            Remove-Item -LiteralPath "$LogPath.stderr" -ErrorAction SilentlyContinue
        }
        $child.Dispose()
    }
}

function Write-Step([string] $Message) { Write-Host "==> $Message" }

function ConvertTo-ShellWord([string] $Text) { "'" + ($Text -replace "'", "'\''") + "'" }

function Start-TrackedProcess {
    <#
    Starts a program through `sh -c exec ...`, so the PID is the program's own (the one sampled, and the one
    ended by PID afterwards) and its output goes to files in -Directory: nothing can block on a full pipe that
    nobody reads. The Process goes into -List for the caller's finally block.
    #>
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $File, [string[]] $Arguments = @(),
        [Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] $List)
    $stdout = Join-Path $Directory "$Name.out"
    $stderr = Join-Path $Directory "$Name.err"
    $command = 'exec ' + ((@($File) + $Arguments | ForEach-Object { ConvertTo-ShellWord $_ }) -join ' ')
    $command += " >$(ConvertTo-ShellWord $stdout) 2>$(ConvertTo-ShellWord $stderr)"
    $info = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add($command)
    $info.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($info)
    $List.Add($process)
    [pscustomobject]@{ Name = $Name; Process = $process; Stdout = $stdout; Stderr = $stderr }
}

function Wait-TrackedLine {
    <# The word after "<Word> " on the first such line of a tracked process's stdout; throws with its stderr after the timeout. #>
    param([Parameter(Mandatory)] $Tracked, [Parameter(Mandatory)] [string] $Word, [double] $TimeoutSeconds = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if (Test-Path -LiteralPath $Tracked.Stdout) {
            $line = @(Get-Content -LiteralPath $Tracked.Stdout -ErrorAction SilentlyContinue) | Where-Object { $_ -like "$Word *" } | Select-Object -First 1
            if ($line) { return ($line -split ' ')[1] }
        }
        if ($Tracked.Process.HasExited) { break }
        Start-Sleep -Milliseconds 50
    }
    throw "$($Tracked.Name) did not print '$Word' within $TimeoutSeconds s (exited: $($Tracked.Process.HasExited)): $(Get-TrackedError $Tracked)"
}

function Get-TrackedError($Tracked) {
    if (Test-Path -LiteralPath $Tracked.Stderr) { Get-Content -Raw -LiteralPath $Tracked.Stderr } else { '' }
}

function Read-TrackedJson($Tracked) {
    <# The last JSON line a tracked process printed (LoadGen's result), or $null. #>
    if (-not (Test-Path -LiteralPath $Tracked.Stdout)) { return $null }
    $line = @(Get-Content -LiteralPath $Tracked.Stdout) | Where-Object { $_ -like '{*' } | Select-Object -Last 1
    if ($line) { $line | ConvertFrom-Json } else { $null }
}

function Stop-TrackedProcess {
    <# Its children first (socat's forks), then SIGTERM, then SIGKILL after -TimeoutMilliseconds. By PID only. #>
    param($Tracked, [int] $TimeoutMilliseconds = 10000)
    if (-not $Tracked) { return }
    $process = $Tracked.Process
    foreach ($child in Get-ChildProcessId $process.Id) { try { [Diagnostics.Process]::GetProcessById($child).Kill() } catch { } }
    if ($process.HasExited) { return }
    & kill -TERM $process.Id 2>$null
    if (-not $process.WaitForExit($TimeoutMilliseconds)) {
        try { $process.Kill($true) } catch { }
        $null = $process.WaitForExit(3000)
    }
}

function Get-ChildProcessId([int] $ParentId) {
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        if ([int]$fields[1] -eq $ParentId) { [int]$name }
    }
}

function Get-ProcStatusKiB([int] $ProcessId, [string] $Field) {
    <# A "<Field>: N kB" line of /proc/<pid>/status (VmRSS, VmHWM) in KiB. #>
    $line = [IO.File]::ReadAllLines("/proc/$ProcessId/status") | Where-Object { $_ -like "${Field}:*" } | Select-Object -First 1
    [long](($line -split '\s+')[1])
}

function Get-FreePort {
    <# A loopback TCP port nothing listens on right now. #>
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Wait-Connectable {
    <# Returns once HOST:PORT accepts a connection; throws after the timeout. #>
    param([Parameter(Mandatory)] [string] $Endpoint, [double] $TimeoutSeconds = 20)
    $ip, $port = $Endpoint -split ':'
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        $client = [Net.Sockets.TcpClient]::new()
        try { $client.Connect($ip, [int]$port); return } catch { Start-Sleep -Milliseconds 50 } finally { $client.Dispose() }
    }
    throw "Nothing accepts connections on $Endpoint after $TimeoutSeconds s."
}

function Build-RepoProject {
    <#
    dotnet build of a project of the repository into -Output (default out/bin/<project name>), so no script
    writes a target framework into a path. Returns the output folder; throws when the build fails.
    #>
    param([Parameter(Mandatory)] [string] $Project, [string] $Configuration = 'Release', [string] $Output)
    $path = Join-Path $script:RepoRoot $Project
    if (-not $Output) { $Output = Join-Path $script:RepoRoot "out/bin/$([IO.Path]::GetFileNameWithoutExtension($path))" }
    & dotnet build $path -c $Configuration -o $Output -nologo -v quiet | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "Building $Project failed (exit $LASTEXITCODE)." }
    $Output
}

Export-ModuleMember -Function Get-RepoRoot, Get-RepoProperty, Get-PwshCommand, Invoke-ChildPwsh, Write-Step, ConvertTo-ShellWord,
    Start-TrackedProcess, Wait-TrackedLine, Get-TrackedError, Read-TrackedJson, Stop-TrackedProcess, Get-ChildProcessId,
    Get-ProcStatusKiB, Get-FreePort, Wait-Connectable, Build-RepoProject
