<#
The proxy side of the fault tests, run in a child pwsh by TestHelpers.psm1 (Start-TestProxyChild).

Job mode (default): starts Start-ZeroCopyProxy @ProxyArguments as a job and prints one line
  STARTED {"Ok":true,"Name":..,"Listen":[..],"Warnings":["WarningRecord: text"],"Pid":..}
  (or {"Ok":false,"ErrorId":..,"Message":..}), then reads commands from stdin, one per line,
  '<id> <verb> [json]', and answers each with 'REPLY <id> <json>':
    get          every proxy's Get-ZeroCopyProxy object, all properties, as a JSON array
    start <json> another Start-ZeroCopyProxy with these parameters (same answer as STARTED)
    stats        CloseReason of every statistics record still in the jobs' Output (not consumed)
    stop         Stop-ZeroCopyProxy for every proxy
  The loop polls with Start-Sleep, so a signal (SIGINT) interrupts it as it would a user's script.
-WaitJob: like job mode, but after STARTED it only waits for the proxy jobs (Wait-Job), the way a
  user's script ends, reading no command: pwsh acts on Ctrl+C (SIGINT) only when stdin is not a pipe.
-Wait: prints 'WAITING <pid>' and runs Start-ZeroCopyProxy @ProxyArguments -Wait, one 'STAT' line per
  statistics record, then 'RETURNED'.
Either way the child exits when stdin closes or after -LifetimeSeconds, so it cannot outlive a test run.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ProxyArguments,
    [int] $LifetimeSeconds = 180,
    [switch] $Wait,
    [switch] $WaitJob
)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $ModulePath
$deadline = [DateTime]::UtcNow.AddSeconds($LifetimeSeconds)

function ConvertTo-Line($Value) { ConvertTo-Json -InputObject $Value -Compress -Depth 4 -EnumsAsStrings }

function Start-Proxy([string] $Json) {
    $arguments = $Json | ConvertFrom-Json -AsHashtable
    $warnings = $null
    try {
        $job = Start-ZeroCopyProxy @arguments -WarningVariable warnings -WarningAction SilentlyContinue
        [ordered]@{ Ok = $true; Name = $job.Name; Listen = @($job.ListenEndPoints); Pid = $PID
            Warnings = @($warnings | ForEach-Object { "$($_.GetType().Name): $($_.Message)" }) }
    }
    catch {
        [ordered]@{ Ok = $false; ErrorId = $_.FullyQualifiedErrorId; Message = "$_"; Pid = $PID
            Warnings = @($warnings | ForEach-Object { "$($_.GetType().Name): $($_.Message)" }) }
    }
}

function Get-ProxyJob { @(Get-Job | Where-Object PSJobTypeName -EQ 'ZeroCopyProxy') }

if ($Wait) {
    $arguments = $ProxyArguments | ConvertFrom-Json -AsHashtable
    "WAITING $PID"
    Start-ZeroCopyProxy @arguments -Wait | ForEach-Object { "STAT $($_.ConnectionId) $($_.CloseReason)" }
    'RETURNED'
    exit 0
}

'STARTED ' + (ConvertTo-Line (Start-Proxy $ProxyArguments))

if ($WaitJob) {
    $null = Get-ProxyJob | Wait-Job -Timeout $LifetimeSeconds
    'RETURNED'
    exit 0
}

$pending = [Console]::In.ReadLineAsync()
while ([DateTime]::UtcNow -lt $deadline) {
    if (-not $pending.IsCompleted) { Start-Sleep -Milliseconds 20; continue }
    $line = $pending.Result
    if ($null -eq $line) { break }   # stdin closed: the test is gone or done
    $id, $verb, $json = $line -split ' ', 3
    $reply = try {
        switch ($verb) {
            'get' { , @(Get-ZeroCopyProxy | Select-Object -Property *) }
            'start' { Start-Proxy $json }
            'stats' { , @(Get-ProxyJob | ForEach-Object { $_.Output } | ForEach-Object { "$($_.CloseReason)" }) }
            'stop' { Get-ProxyJob | Stop-ZeroCopyProxy; [ordered]@{ Ok = $true } }
            default { [ordered]@{ Ok = $false; Message = "unknown command '$verb'" } }
        }
    }
    catch { [ordered]@{ Ok = $false; Message = "$_" } }
    "REPLY $id " + (ConvertTo-Line $reply)
    if ($WaitJob) {
    $null = Get-ProxyJob | Wait-Job -Timeout $LifetimeSeconds
    'RETURNED'
    exit 0
}

$pending = [Console]::In.ReadLineAsync()
}
Get-ProxyJob | Remove-Job -Force
