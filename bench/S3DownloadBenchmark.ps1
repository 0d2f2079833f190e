<#
.SYNOPSIS
s3:// downloads with 4 connections against 1, from Swift's s3api behind a relay that caps each connection.

.DESCRIPTION
Object stores cap the throughput of each connection; several ranged GetObjects at once are what makes a download
from them fast. Here the Swift s3api peer sits behind bench/ByteCountingRelay.cs with its server-to-client direction
held to -BytesPerSecond per connection, and Save-ResumableFile downloads one object (stored by Send-ChunkedFile in
8 MiB parts, so the ranges follow the parts) with -Connections 1 and 4, in turn, -Runs times; the rows are the
median wall times of a fresh pwsh (start-up included, as in the other scenarios) and the target is a speed-up of at
least 1.8.

Dot-sourced by Invoke-Benchmark.ps1 (Invoke-S3DownloadScenario, with the peers it started); it defines functions
only, so dot-sourcing it changes none of the caller's variables. On its own, Invoke-S3DownloadBenchmark starts the
Swift peer itself and prints the rows:
    dotnet pwsh -NoProfile -Command ". ./bench/S3DownloadBenchmark.ps1; Invoke-S3DownloadBenchmark [-Size 256MB] [-Runs 3]"
#>
function Invoke-S3DownloadScenario {
    param(
        # From tests/peers/start-peers.sh with swift: SWIFT_S3_ENDPOINT, SWIFT_S3_ACCESS_KEY, SWIFT_S3_SECRET_KEY.
        [Parameter(Mandatory)] [hashtable] $PeerEnv,
        [Parameter(Mandatory)] [string] $ModulePath,
        [Parameter(Mandatory)] [string] $Work,
        [long] $Size = 256MB,
        [long] $BytesPerSecond = 20MB,
        [int] $Runs = 3
    )
    if (-not ('ResumeTransferBench.ByteCountingRelay' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'ByteCountingRelay.cs')
    }
    if (-not (Get-Command Measure-ProcessTree -ErrorAction SilentlyContinue)) { . (Join-Path $PSScriptRoot 'ProcessTreeMeter.ps1') }
    $dotnet = (Get-Command dotnet).Source
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    $dir = Join-Path $Work 's3-download'
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $source = Join-Path $dir 'object.bin'
    & head -c $Size /dev/urandom > $source
    $credScript = "`$c = [pscredential]::new('$($PeerEnv.SWIFT_S3_ACCESS_KEY)', (ConvertTo-SecureString '$($PeerEnv.SWIFT_S3_SECRET_KEY)' -AsPlainText -Force))"
    $key = 'bench/s3-download.bin'
    $upload = Measure-ProcessTree -FileName $dotnet -ArgumentList @($pwshDll, '-NoProfile', '-NonInteractive', '-Command',
        "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; $credScript; Send-ChunkedFile -Path '$source' -Uri 's3://test-bucket/$key' -Endpoint '$($PeerEnv.SWIFT_S3_ENDPOINT)' -Credential `$c -Protocol S3 -ChunkSize 8MB -Connections 4")
    if ($upload.ExitCode -ne 0) { throw "storing the benchmark object failed: $($upload.StdErr)" }
    $expected = (Get-FileHash -LiteralPath $source -Algorithm SHA256).Hash

    $relay = [ResumeTransferBench.ByteCountingRelay]::new(([uri]$PeerEnv.SWIFT_S3_ENDPOINT).Port, $BytesPerSecond, $true)
    try {
        # SigV4 signs the Host header the client sends (the relay's), which Swift checks as it receives it.
        $endpoint = "http://127.0.0.1:$($relay.Port)"
        $label = "$([math]::Round($Size / 1MB)) MiB s3:// download from Swift s3api, $([math]::Round($BytesPerSecond / 1MB)) MiB/s per-connection cap"
        $times = @{ 1 = [System.Collections.Generic.List[double]]::new(); 4 = [System.Collections.Generic.List[double]]::new() }
        $peaks = @{ 1 = [System.Collections.Generic.List[long]]::new(); 4 = [System.Collections.Generic.List[long]]::new() }
        Write-Host "== $label"
        for ($run = 1; $run -le $Runs; $run++) {
            foreach ($n in 1, 4) {
                $target = Join-Path $dir "ours-$n.bin"
                Remove-Item -LiteralPath $target, "$target.rtpart", "$target.rtstate" -Force -ErrorAction SilentlyContinue
                & sync
                $m = Measure-ProcessTree -FileName $dotnet -ArgumentList @($pwshDll, '-NoProfile', '-NonInteractive', '-Command',
                    "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; $credScript; Save-ResumableFile -Uri 's3://test-bucket/$key' -OutFile '$target' -Endpoint '$endpoint' -Credential `$c -Connections $n")
                if ($m.ExitCode -ne 0) { throw "Save-ResumableFile s3:// -Connections $n failed: $($m.StdErr)" }
                if ((Get-FileHash -LiteralPath $target -Algorithm SHA256).Hash -ne $expected) { throw "Save-ResumableFile s3:// -Connections $n saved other bytes than the object's" }
                $times[$n].Add($m.Seconds); $peaks[$n].Add($m.PeakBytes)
                Write-Host ("   {0,-36} {1,7:0.000} s" -f "Save-ResumableFile s3:// -Conn $n", $m.Seconds)
                Remove-Item -LiteralPath $target -Force
            }
        }
    }
    finally {
        $relay.Dispose()
        Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    $median = { param($values) ($values | Sort-Object)[[int][math]::Floor(($values.Count - 1) / 2)] }
    $one = & $median $times[1]
    foreach ($n in 1, 4) {
        $med = & $median $times[$n]
        [pscustomobject]@{
            Scenario      = $label
            Tool          = "Save-ResumableFile s3:// -Conn $n"
            Runs          = $times[$n].Count
            MedianSeconds = [math]::Round($med, 3)
            RatioToRef    = [math]::Round($med / $one, 3)
            Reference     = 'Save-ResumableFile s3:// -Conn 1'
            MiBPerSecond  = [math]::Round($Size / 1MB / $med, 1)
            PeakMiB       = [math]::Round((& $median $peaks[$n]) / 1MB, 1)
        }
    }
}

function Invoke-S3DownloadBenchmark {
    # On its own: start the Swift peer, run the scenario, print the rows and the speed-up.
    param(
        [long] $Size = 256MB,
        [long] $BytesPerSecond = 20MB,
        [int] $Runs = 3,
        [string] $ModulePath = (Join-Path $PSScriptRoot '../out/ResumeTransfer')
    )
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot 'ProcessTreeMeter.ps1')
    $ModulePath = (Resolve-Path $ModulePath).Path
    $work = Join-Path ([System.IO.Path]::GetTempPath()) "rt-s3bench-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory -Path $work -Force | Out-Null
    $env:PEERS_RUN = Join-Path $work 'peers'
    $env:PEERS = 'swift'
    & bash (Join-Path $PSScriptRoot '../tests/peers/start-peers.sh') | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'the Swift peer did not start (see tests/peers/start-peers.sh)' }
    try {
        $peerEnv = @{}
        foreach ($line in Get-Content "$env:PEERS_RUN/peers.env") { $k, $v = $line -split '=', 2; $peerEnv[$k] = $v }
        $rows = @(Invoke-S3DownloadScenario -PeerEnv $peerEnv -ModulePath $ModulePath -Work $work -Size $Size -BytesPerSecond $BytesPerSecond -Runs $Runs)
        $rows | Format-Table Tool, Runs, MedianSeconds, RatioToRef, MiBPerSecond, PeakMiB -AutoSize | Out-String -Width 200 | Write-Host
        $speedup = [math]::Round($rows[0].MedianSeconds / $rows[1].MedianSeconds, 2)
        Write-Host "4 connections vs 1: speed-up $speedup (target >= 1.8: $(if ($speedup -ge 1.8) { 'met' } else { 'NOT met' }))"
    }
    finally {
        & bash (Join-Path $PSScriptRoot '../tests/peers/stop-peers.sh') | Out-Null
        Remove-Item Env:PEERS_RUN, Env:PEERS -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}
