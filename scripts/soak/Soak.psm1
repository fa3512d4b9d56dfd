# Helpers for scripts/Invoke-Soak.ps1: /proc sampling and series figures (tracked processes and the pwsh
# command come from scripts/ZeroCopyPS.Scripts.psm1).

Set-StrictMode -Version 3.0

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

Export-ModuleMember -Function Get-ProcessSample, Measure-Series
