<#
The peers of scripts/Compare-Peers.ps1: installing what is missing, building the load generator and the
article's Go proxy, and starting each peer in front of a target. Every process goes into $Run.Started
(ended by PID in the script's finally block).
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../ZeroCopyPS.Scripts.psm1')

$script:KnownPeers = 'direct', 'haproxy-splice', 'haproxy-splice-pipe1m', 'haproxy', 'socat', 'go',
    'zerocopyps-auto', 'zerocopyps-auto-pipe1m', 'zerocopyps-splice', 'zerocopyps-buffered'
$script:ExternalPeers = 'haproxy-splice', 'haproxy-splice-pipe1m', 'haproxy', 'socat', 'go'
# The "-pipe1m" rows ask for 1 MiB pipes (F_SETPIPE_SZ): HAProxy's tune.pipesize, ZeroCopyPS's -PipeSize. Equal pipes, fair fight.
$script:PipeBytes = 1048576

function Get-KnownPeer { $script:KnownPeers }

function Get-ExternalPeer { $script:ExternalPeers }

function Install-Peers {
    <# apt-get install haproxy, socat, golang-go when missing, as root without -SkipInstall; otherwise those peers are skipped. #>
    param([switch] $SkipInstall)
    $wanted = [ordered]@{ haproxy = 'haproxy'; socat = 'socat'; go = 'golang-go' }
    $missing = @($wanted.Keys | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    if (-not $missing) { return }
    $isRoot = (& id -u) -eq '0'
    if ($SkipInstall -or -not $isRoot -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Warning "Missing $($missing -join ', ') and not installing (need root with apt-get, without -SkipInstall); those peers are skipped."
        return
    }
    Write-Step "apt-get install $($missing | ForEach-Object { $wanted[$_] })"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get update -qq | Out-Host
    & apt-get install -y -qq @($missing | ForEach-Object { $wanted[$_] }) | Out-Host
}

function Build-PeerTools {
    <# The load generator (into out/bin, no framework in the path) and, when Go is there, the article's proxy. #>
    param([Parameter(Mandatory)] $Run)
    Write-Step 'dotnet build benchmarks/ZeroCopyPS.LoadGen (Release)'
    $Run.LoadGen = Join-Path (Build-RepoProject 'benchmarks/ZeroCopyPS.LoadGen/ZeroCopyPS.LoadGen.csproj') 'ZeroCopyPS.LoadGen'
    $Run.GoProxy = $null
    if (-not (Get-Command go -CommandType Application -ErrorAction SilentlyContinue)) { return }
    Write-Step 'go build scripts/peers/goproxy'
    # Local toolchain, no module downloads: the proxy has no dependencies.
    $env:GOTOOLCHAIN = 'local'; $env:GOPROXY = 'off'; $env:GOFLAGS = '-mod=mod'
    Push-Location (Join-Path $PSScriptRoot 'goproxy')
    try { & go build -o (Join-Path $Run.Work 'goproxy') . | Out-Host } finally { Pop-Location }
    if ($LASTEXITCODE -eq 0) { $Run.GoProxy = Join-Path $Run.Work 'goproxy' }
}

function Test-PeerAvailable {
    param([Parameter(Mandatory)] [string] $Kind, [Parameter(Mandatory)] $Run)
    switch ($Kind) {
        { $_ -like 'haproxy*' } { return [bool](Get-Command haproxy -CommandType Application -ErrorAction SilentlyContinue) }
        'socat' { return [bool](Get-Command socat -CommandType Application -ErrorAction SilentlyContinue) }
        'go' { return [bool]$Run.GoProxy }
        default { return $true }
    }
}

function Start-Peer {
    <# Starts peer -Kind in front of -Target; returns its endpoint and tracked process (none for 'direct'). #>
    param([Parameter(Mandatory)] [string] $Kind, [Parameter(Mandatory)] [string] $Target, [Parameter(Mandatory)] [string] $Tag, [Parameter(Mandatory)] $Run)
    $track = @{ Directory = $Run.Work; List = $Run.Started }
    switch ($Kind) {
        'direct' { return [pscustomobject]@{ Endpoint = $Target; Tracked = $null } }
        { $_ -like 'haproxy*' } {
            $port = Get-FreePort
            $splice = if ($Kind -like 'haproxy-splice*') { "    option splice-request`n    option splice-response" } else { '' }
            $pipe = if ($Kind -like '*-pipe1m') { "    tune.pipesize $script:PipeBytes" } else { '' }
            $config = Join-Path $Run.Work "$Kind-$Tag.cfg"
            Set-Content -LiteralPath $config -Encoding utf8NoBOM -Value @"
global
    maxconn 4000
$pipe
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
$splice
listen peer
    bind 127.0.0.1:$port
    server target $Target
"@
            $tracked = Start-TrackedProcess -Name "$Kind-$Tag" -File 'haproxy' -Arguments @('-db', '-f', $config) @track
            $endpoint = "127.0.0.1:$port"
        }
        'socat' {
            $port = Get-FreePort
            $tracked = Start-TrackedProcess -Name "socat-$Tag" -File 'socat' -Arguments @("TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=4096,nodelay", "TCP4:$Target,nodelay") @track
            $endpoint = "127.0.0.1:$port"
        }
        'go' {
            $tracked = Start-TrackedProcess -Name "go-$Tag" -File $Run.GoProxy -Arguments @('-listen', '127.0.0.1:0', '-target', $Target) @track
            $endpoint = Wait-TrackedLine $tracked 'LISTENING' 20
        }
        default {
            # zerocopyps-candidate: another build (-CandidateBuild), at the defaults, like zerocopyps-auto.
            $loadGen = if ($Kind -eq 'zerocopyps-candidate') { $Run.CandidateLoadGen } else { $Run.LoadGen }
            $mode = $Kind -replace '^zerocopyps-', '' -replace '-pipe1m$', '' -replace '^candidate$', 'auto'
            # Only the "-pipe1m" rows name a pipe size; the others run at the engine's default (adaptive pipes up to 1 MiB).
            $pipeArguments = if ($Kind -like '*-pipe1m') { @('--pipe-size', "$script:PipeBytes") } else { @() }
            $tracked = Start-TrackedProcess -Name "$Kind-$Tag" -File $loadGen -Arguments (@('proxy', '--target', $Target, '--mode', $mode) + $pipeArguments + @('--lifetime', '900')) @track
            $endpoint = Wait-TrackedLine $tracked 'LISTENING' 20
        }
    }
    Wait-Connectable $endpoint
    [pscustomobject]@{ Endpoint = $endpoint; Tracked = $tracked }
}

Export-ModuleMember -Function Get-KnownPeer, Get-ExternalPeer, Install-Peers, Build-PeerTools, Test-PeerAvailable, Start-Peer
