<#
What the bad-input cases refer to as '{name}' placeholders: closed and held loopback ports, a folder
with a regular file, a directory and a symbolic link where a socket could go, a running proxy that
holds a name, a Unix socket and an abstract name, a finished thread job, and a second runspace for
the cases that must run with a deadline. Everything is created once per test file and removed after it. New-BadInputFixture also imports what a
bad-input suite uses, for the whole session: TestHelpers.psm1, BadInput.psm1 and the module under test.
#>

Set-StrictMode -Version 3.0

function New-BadInputFixture {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force -Global
    Import-Module (Join-Path $PSScriptRoot 'BadInput.psm1') -Force -Global
    $Manifest = Import-TestModule
    $tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
    # Short: a Unix socket path must fit in 107 bytes, and the cases append to it.
    $directory = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "zcps-bi-$tag")).FullName
    $fixture = [pscustomobject]@{ Directory = $directory; Values = @{}; Held = $null; Proxy = $null; ThreadJob = $null; Runspace = $null }
    try {
        Set-Content -LiteralPath (Join-Path $directory 'file.txt') -Value 'not a socket'
        $null = New-Item -ItemType Directory -Path (Join-Path $directory 'adir')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $directory 'link') -Target (Join-Path $directory 'file.txt')

        $fixture.Held = New-TestSinkServer
        $closed = Get-TestClosedPort
        do { $free = Get-TestClosedPort } while ($free -eq $closed)
        $name = "badinput-taken-$tag"
        $fixture.Proxy = Start-ZeroCopyProxy -Listen '127.0.0.1:0', "unix:$directory/held.sock", "unix:@zcps-bi-$tag" -Target "127.0.0.1:$closed" -Name $name -WarningAction SilentlyContinue
        $fixture.ThreadJob = Start-ThreadJob -ScriptBlock { 'done' } -Name "badinput-thread-$tag"
        $null = Wait-Job $fixture.ThreadJob -Timeout 30

        $sessionState = [initialsessionstate]::CreateDefault2()
        $sessionState.ImportPSModule($Manifest)
        $fixture.Runspace = [runspacefactory]::CreateRunspace($sessionState)
        $fixture.Runspace.Open()

        Invoke-WarmUp -Closed $closed -Held $fixture.Held.Port
        $denied = Get-TestPermissionDeniedEndpoint
        $fixture.Values = @{
            closed = $closed; free = $free; held = $fixture.Held.Port; dir = $directory; heldsock = "$directory/held.sock"
            abstract = "zcps-bi-$tag"; taken = $name; takenUpper = $name.ToUpperInvariant(); threadjob = $fixture.ThreadJob.Id
            denied = if ($denied) { $denied } else { '' }
        }
        $fixture
    }
    catch {
        Remove-BadInputFixture $fixture
        throw
    }
}

# The first error of a kind opens files for good: the runtime keeps the module's .pdb open once it has
# read line numbers for a stack trace, and loads resources. Raise each kind once before any case
# counts descriptors, so that a case sees only what it leaves behind itself.
function Invoke-WarmUp([int] $Closed, [int] $Held) {
    $attempts = @(
        { Start-ZeroCopyProxy -Listen '::' -Target "127.0.0.1:$Closed" }
        { Start-ZeroCopyProxy -Listen "127.0.0.1:$Held" -Target "127.0.0.1:$Closed" }
        { Start-ZeroCopyProxy -Listen '127.0.0.1:0' -Target "127.0.0.1:$Closed" -MaxConnections 0 }
        { Start-ZeroCopyProxy -Listen '127.0.0.1:0' -Target "127.0.0.1:$Closed" -IdleTimeout 'x' }
        # A metrics endpoint that cannot start loads prometheus-net and HttpListener for good.
        { Start-ZeroCopyProxy -Listen '127.0.0.1:0' -Target "127.0.0.1:$Closed" -MetricsListen "127.0.0.1:$Held" }
        { Get-ZeroCopyProxy -Name 'badinput-warm-up' -ErrorAction Stop }
        { Measure-SocketCopy -Endpoint "127.0.0.1:$Closed" -BulkSize 0 -RoundTrips 1 -Duration 2 -ErrorAction Stop }
    )
    foreach ($attempt in $attempts) {
        try { $null = & $attempt } catch { $null = $_.Exception.StackTrace + $_.ScriptStackTrace }
    }
}

function Remove-BadInputFixture($Fixture) {
    if (-not $Fixture) { return }   # New-BadInputFixture failed: it removed what it had made itself
    if ($Fixture.Proxy) { $Fixture.Proxy | Remove-Job -Force }
    if ($Fixture.ThreadJob) { $Fixture.ThreadJob | Remove-Job -Force }
    if ($Fixture.Held) { $Fixture.Held.Dispose() }
    if ($Fixture.Runspace) { $Fixture.Runspace.Dispose() }
    if (Test-Path -LiteralPath $Fixture.Directory) { Remove-Item -LiteralPath $Fixture.Directory -Recurse -Force }
}

Export-ModuleMember -Function New-BadInputFixture, Remove-BadInputFixture
