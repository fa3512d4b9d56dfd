# Helpers for scripts/Invoke-Soak.ps1: child processes tracked by PID, /proc sampling, series figures.

Set-StrictMode -Version 3.0

function ConvertTo-ShellWord([string] $Text) { "'" + ($Text -replace "'", "'\''") + "'" }

# Starts a program through `sh -c exec ...`, so the PID is the program's own (the one whose memory and
# descriptors are sampled, and the one ended in the caller's finally block) and its output goes to files:
# nothing can block on a full pipe that nobody reads.
function Start-TrackedProcess {
    param([string] $Name, [string] $File, [string[]] $Arguments, [string] $Directory, $List)
    $stdout = Join-Path $Directory "$Name.out"
    $stderr = Join-Path $Directory "$Name.err"
    $command = 'exec ' + ((@($File) + $Arguments | ForEach-Object { ConvertTo-ShellWord $_ }) -join ' ')
    $command += " >$(ConvertTo-ShellWord $stdout) 2>$(ConvertTo-ShellWord $stderr)"
    $info = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add($command)
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $List.Add($process)
    [pscustomobject]@{ Name = $Name; Process = $process; Stdout = $stdout; Stderr = $stderr }
}

# The value after "<Word> " on the first such line of a tracked process's stdout.
function Wait-TrackedLine {
    param($Tracked, [string] $Word, [double] $TimeoutSeconds = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if (Test-Path -LiteralPath $Tracked.Stdout) {
            $line = @(Get-Content -LiteralPath $Tracked.Stdout) | Where-Object { $_ -like "$Word *" } | Select-Object -First 1
            if ($line) { return ($line -split ' ')[1] }
        }
        if ($Tracked.Process.HasExited) { break }
        Start-Sleep -Milliseconds 100
    }
    throw "$($Tracked.Name) did not print '$Word' within $TimeoutSeconds s (exited: $($Tracked.Process.HasExited)): $(Get-TrackedError $Tracked)"
}

function Get-TrackedError($Tracked) {
    if (Test-Path -LiteralPath $Tracked.Stderr) { (Get-Content -Raw -LiteralPath $Tracked.Stderr) } else { '' }
}

# The last JSON line a tracked client printed (LoadGen's result), or $null.
function Read-TrackedJson($Tracked) {
    if (-not (Test-Path -LiteralPath $Tracked.Stdout)) { return $null }
    $line = @(Get-Content -LiteralPath $Tracked.Stdout) | Where-Object { $_ -like '{*' } | Select-Object -Last 1
    if ($line) { $line | ConvertFrom-Json } else { $null }
}

# SIGTERM (LoadGen and pwsh.dll both handle it), then SIGKILL if it does not go within the timeout. By PID only.
function Stop-TrackedProcess {
    param($Tracked, [int] $TimeoutMilliseconds = 10000)
    if (-not $Tracked -or $Tracked.Process.HasExited) { return }
    & kill -TERM $Tracked.Process.Id 2>$null
    if (-not $Tracked.Process.WaitForExit($TimeoutMilliseconds)) {
        try { $Tracked.Process.Kill($true) } catch { }
        $null = $Tracked.Process.WaitForExit(3000)
    }
}

# The command that runs this very PowerShell: `dotnet <PSHOME>/pwsh.dll` under `dotnet pwsh` (the local
# tool's launcher would be a second process, and the one signalled or sampled must be pwsh itself), the
# running pwsh otherwise.
function Get-PwshCommand {
    $self = [Environment]::ProcessPath
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet' -and (Test-Path -LiteralPath $dll)) { return $self, $dll }
    , @($self)
}

# One sample of a process: resident memory, descriptors, threads. $null once the process is gone.
function Get-ProcessSample {
    param([int] $ProcessId, [double] $Seconds, [string] $Phase)
    try {
        $status = [IO.File]::ReadAllLines("/proc/$ProcessId/status")
        $fds = [IO.Directory]::GetFileSystemEntries("/proc/$ProcessId/fd").Count
    }
    catch { return $null }
    $field = { param($Name) [long]((($status | Where-Object { $_ -like "${Name}:*" } | Select-Object -First 1) -split '\s+')[1]) }
    [pscustomobject][ordered]@{
        Seconds = [math]::Round($Seconds, 1); Phase = $Phase
        RssKiB = & $field 'VmRSS'; Fds = $fds; Threads = & $field 'Threads'
        Active = $null; Total = $null; PipesIdle = $null; FdsLessIdlePipes = $null
    }
}

# Least-squares slope of Y over X, per unit of X; $null with fewer than 3 points.
function Get-Slope([double[]] $X, [double[]] $Y) {
    if ($X.Count -lt 3) { return $null }
    $mx = ($X | Measure-Object -Average).Average
    $my = ($Y | Measure-Object -Average).Average
    $num = 0.0; $den = 0.0
    for ($i = 0; $i -lt $X.Count; $i++) { $num += ($X[$i] - $mx) * ($Y[$i] - $my); $den += ($X[$i] - $mx) * ($X[$i] - $mx) }
    if ($den -eq 0) { return $null }
    $num / $den
}

# Start, after warm-up, max, end of load, idle after the load; drift = end - after warm-up (the issue's
# definition) and idle drift = idle after - idle before (no connection open either time, so what is left
# is what the proxy kept). Slope per minute over the loaded samples after warm-up.
function Measure-Series {
    param($Samples, [string] $Property, [double] $WarmupSeconds)
    $loaded = @($Samples | Where-Object Phase -EQ 'load')
    $afterWarmup = @($loaded | Where-Object Seconds -GE $WarmupSeconds)
    $start = @($Samples | Where-Object Phase -EQ 'idle-before')[-1].$Property
    $warm = if ($afterWarmup) { $afterWarmup[0].$Property } else { $null }
    $end = if ($loaded) { $loaded[-1].$Property } else { $null }
    $idleAfter = @($Samples | Where-Object Phase -EQ 'idle-after')
    $idle = if ($idleAfter) { $idleAfter[-1].$Property } else { $null }
    $slope = Get-Slope ([double[]]@($afterWarmup.Seconds)) ([double[]]@($afterWarmup.$Property))
    [pscustomobject][ordered]@{
        Start = $start; AfterWarmup = $warm; Max = ($Samples | Measure-Object $Property -Maximum).Maximum; End = $end
        IdleAfter = $idle
        Drift = if ($null -ne $warm -and $null -ne $end) { $end - $warm } else { $null }
        IdleDrift = if ($null -ne $idle) { $idle - $start } else { $null }
        SlopePerMinute = if ($null -ne $slope) { [math]::Round($slope * 60, 2) } else { $null }
    }
}

Export-ModuleMember -Function Start-TrackedProcess, Wait-TrackedLine, Get-TrackedError, Read-TrackedJson,
    Stop-TrackedProcess, Get-PwshCommand, Get-ProcessSample, Measure-Series
