<#
The workloads of scripts/Compare-Peers.ps1 and what they read from /proc: the load generator's clients
(bulk, ping-pong, connection rate, idle connections), rounds that rotate the order of the peers, and the
CPU time and memory of a proxy process.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../ZeroCopyPS.Scripts.psm1')

function Invoke-LoadGen {
    <# Runs one LoadGen client to its end (bounded) and returns its JSON result. #>
    param([Parameter(Mandatory)] $Run, [Parameter(Mandatory)] [string[]] $Arguments, [double] $TimeoutSeconds = 120)
    $info = [Diagnostics.ProcessStartInfo]::new($Run.LoadGen)
    foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($info)
    $Run.Started.Add($process)
    $output = $process.StandardOutput.ReadToEndAsync()
    if (-not $process.WaitForExit([int]($TimeoutSeconds * 1000))) {
        $process.Kill($true)
        throw "LoadGen $($Arguments -join ' ') did not finish within $TimeoutSeconds s."
    }
    $process.WaitForExit()
    if ($process.ExitCode -ne 0) { throw "LoadGen $($Arguments -join ' ') exited $($process.ExitCode)." }
    $output.Result.Trim().Split("`n")[-1] | ConvertFrom-Json
}

function Invoke-Rounds {
    <#
    Runs -Action once per peer per round, rotating the order every round: slow drift of the machine (other
    load, CPU frequency, vCPU wake-up latency) then spreads over every peer instead of one row.
    #>
    param([Parameter(Mandatory)] $Peers, [Parameter(Mandatory)] [int] $Rounds, [Parameter(Mandatory)] [string] $What, [Parameter(Mandatory)] [scriptblock] $Action)
    for ($round = 0; $round -lt $Rounds; $round++) {
        for ($i = 0; $i -lt $Peers.Count; $i++) {
            $peer = $Peers[($i + $round) % $Peers.Count]
            try { & $Action $peer }
            catch {
                Write-Warning "$($peer.Kind) $What failed: $($_.Exception.Message)"
                $peer.Row.Note += "$What failed: $($_.Exception.Message) "
            }
        }
    }
}

function Measure-IdleMemory {
    <# The marginal resident memory of -IdleConnections idle connections, on a proxy that has served only a short warm-up. #>
    param([Parameter(Mandatory)] $Peer, [Parameter(Mandatory)] $Run, [Parameter(Mandatory)] [int] $IdleConnections)
    $processId = $Peer.Echo.Tracked.Process.Id
    $null = Invoke-LoadGen $Run @('pingpong', '--target', $Peer.Echo.Endpoint, '--count', '200', '--warmup', '50')
    $null = Invoke-LoadGen $Run @('idle', '--target', $Peer.Echo.Endpoint, '--count', '20', '--hold', '0')
    Start-Sleep -Milliseconds 500
    $before = Get-TreeMemoryKiB $processId
    $idle = Start-TrackedProcess -Name "idle-$($Peer.Kind)" -File $Run.LoadGen -Arguments @('idle', '--target', $Peer.Echo.Endpoint, '--count', "$IdleConnections", '--hold', '3') -Directory $Run.Work -List $Run.Started
    $opened = [int](Wait-TrackedLine $idle 'READY' 60)
    Start-Sleep -Milliseconds 1000
    $after = Get-TreeMemoryKiB $processId
    $null = $idle.Process.WaitForExit(15000)
    if ($opened -gt 0) { $Peer.Row.IdleKiBPerConnection = [math]::Round(($after - $before) / $opened, 2) }
    if ($opened -lt $IdleConnections) { $Peer.Row.Note += "idle: only $opened of $IdleConnections opened " }
    Start-Sleep -Milliseconds 500   # let the proxy close them before anything is timed
}

function Get-CpuSeconds {
    <# utime + stime + cutime + cstime in seconds (children count once reaped: socat's forks). #>
    param([Parameter(Mandatory)] [int] $ProcessId, [int] $ClockTicksPerSecond = 100)
    $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat")
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    ([long]$fields[11] + [long]$fields[12] + [long]$fields[13] + [long]$fields[14]) / $ClockTicksPerSecond
}

function Get-TreeMemoryKiB([int] $ProcessId) {
    <# Resident memory of a proxy in KiB: its VmRSS, plus the Pss of forked children (their VmRSS counts shared pages). #>
    $total = Get-ProcStatusKiB $ProcessId 'VmRSS'
    foreach ($child in Get-ChildProcessId $ProcessId) {
        try {
            $pss = [IO.File]::ReadAllLines("/proc/$child/smaps_rollup") | Where-Object { $_ -like 'Pss:*' } | Select-Object -First 1
            $total += [long](($pss -split '\s+')[1])
        }
        catch { }
    }
    $total
}

Export-ModuleMember -Function Invoke-LoadGen, Invoke-Rounds, Measure-IdleMemory, Get-CpuSeconds, Get-TreeMemoryKiB
