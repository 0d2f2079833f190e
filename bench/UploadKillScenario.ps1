# Benchmark scenario of issue 5: kill -9 mid-upload, then resume (tus and S3). Dot-sourced by Invoke-Benchmark.ps1,
# which provides Measure-ProcessTree (ProcessTreeMeter.ps1) and Invoke-Pwsh, and has started the tus and Swift peers.
# Each client talks to its server through a ByteCountingRelay (ByteCountingRelay.cs), so the bytes sent twice are
# counted on the wire, for pwsh and node alike, and the kill lands when half of the file has gone to the server
# (not after a fixed time, which would hit a different point for each tool).
# Unthrottled on loopback a client hands a whole 8 MiB chunk to the kernel in milliseconds and then waits for the
# answer, so a kill would mostly land between requests; the relay therefore holds each connection's upload to
# -BytesPerSecond (an uplink slower than the client), and the kill lands in the middle of request bodies, where the
# one-chunk-per-connection bound is really tested.
# @aws-sdk/lib-storage is not in this scenario: it keeps its multipart upload id only in memory, so a new process
# cannot resume; a killed run leaves an unfinished upload behind and the next run starts from part 1.

function Invoke-UploadKillScenario {
    <#
    .SYNOPSIS
    Uploads -UpFile once whole, then again killed (SIGKILL to the process tree) once half of it reached the server
    and resumed, per tool; returns one row per tool for the benchmark table.
    .OUTPUTS
    Rows like Invoke-Benchmark.ps1's, plus ResentPercent, ResentMiB and LimitMiB (one chunk per connection). The
    re-sent bytes are all the bytes the killed and the resumed run sent to the server (HTTP headers included) less
    the file's size: the few KiB of headers are counted as re-sent.
    #>
    param(
        # peers.env of tests/peers/start-peers.sh started with PEERS=tus,swift.
        [Parameter(Mandatory)] [hashtable] $PeerEnv,
        [Parameter(Mandatory)] [string] $UpFile,
        [Parameter(Mandatory)] [long] $UpSize,
        [Parameter(Mandatory)] [long] $Chunk,
        [Parameter(Mandatory)] [string] $ModulePath,
        # Working directory of the clients; tus-js-client's URL storage file is kept here.
        [Parameter(Mandatory)] [string] $Work,
        # Each connection's upload rate through the relay: an uplink slower than the client, so the kill lands in the
        # middle of request bodies (unthrottled on loopback, a client hands a whole chunk to the kernel at once and
        # the kill mostly falls between requests, which would not test the bound).
        [long] $BytesPerSecond = 50MB
    )
    # Get-SwiftS3ObjectSha256: reads the object back with a request of its own (signature v2), not through the module.
    . (Join-Path $PSScriptRoot '../tests/pester/SwiftS3Peer.ps1')
    if (-not ('ResumeTransferBench.ByteCountingRelay' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'ByteCountingRelay.cs')
    }
    $node = (Get-Command node -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $urlStorage = Join-Path $Work 'tus-js-urls.json'
    $bucket = if ($PeerEnv.SWIFT_S3_BUCKET) { $PeerEnv.SWIFT_S3_BUCKET } else { 'test-bucket' }

    # After a client ended (or was killed): until its connections are torn down and the server has settled what a
    # cut-off request brought (@tus/server stores it and unlocks the upload). Not part of any timing.
    function Wait-RelayIdle($Relay) {
        for ($i = 0; $i -lt 100 -and $Relay.OpenConnections -gt 0; $i++) { Start-Sleep -Milliseconds 50 }
        Start-Sleep -Milliseconds 300
    }

    function Clear-UploadState {
        Get-ChildItem -LiteralPath (Split-Path $UpFile) -Filter "$(Split-Path $UpFile -Leaf).rtupload*" -Force |
            Remove-Item -Recurse -Force
        Remove-Item -LiteralPath $urlStorage, "$urlStorage.lock" -Recurse -Force -ErrorAction SilentlyContinue
    }

    # The uploads @tus/file-store holds: file <id> is the bytes, <id>.json the metadata.
    function Get-TusUploadFiles { @(Get-ChildItem -LiteralPath $PeerEnv.TUS_DIR -File | Where-Object Extension -NE '.json') }

    $tusRelay = $null; $s3Relay = $null
    try {
        $tusUri = [uri]$PeerEnv.TUS_ENDPOINT
        $tusRelay = [ResumeTransferBench.ByteCountingRelay]::new($tusUri.Port, $BytesPerSecond)
        $s3Relay = [ResumeTransferBench.ByteCountingRelay]::new(([uri]$PeerEnv.SWIFT_S3_ENDPOINT).Port, $BytesPerSecond)
        # @tus/server builds the upload URL from the Host header, so the PATCHes come through the relay too; SigV4
        # signs the Host header the client sends, the relay's, which Swift checks as it receives it.
        $tusEndpoint = "http://127.0.0.1:$($tusRelay.Port)$($tusUri.AbsolutePath)"
        $s3Endpoint = "http://127.0.0.1:$($s3Relay.Port)"
        $ours = "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'"
        $credScript = "`$c = [pscredential]::new('$($PeerEnv.SWIFT_S3_ACCESS_KEY)', (ConvertTo-SecureString '$($PeerEnv.SWIFT_S3_SECRET_KEY)' -AsPlainText -Force))"
        $s3Send = "$ours; $credScript; Send-ChunkedFile -Path '$UpFile' -Endpoint '$s3Endpoint' -Credential `$c -Protocol S3 -Connections 4 -ChunkSize $Chunk"
        $tusJs = @{ File = $node; Args = @((Join-Path $PSScriptRoot 'tus-js-upload.cjs'), $tusEndpoint, $UpFile, "$Chunk", $urlStorage) }
        $mib = [math]::Round($UpSize / 1MB)
        $rate = "$([math]::Round($BytesPerSecond / 1MB)) MiB/s per connection"
        $tusScenario = "kill -9 at 50% of $mib MiB tus upload, $($Chunk / 1MB) MiB chunks, $rate, then resume"
        $s3Scenario = "kill -9 at 50% of $mib MiB S3 multipart to Swift s3api, 4 parts in flight, $rate, then resume"
        $tools = @(
            @{
                Name = 'Send-ChunkedFile -Protocol Tus'; Scenario = $tusScenario; Relay = $tusRelay; Connections = 1; Check = 'tus'
                Whole = Invoke-Pwsh "$ours; Send-ChunkedFile -Path '$UpFile' -Uri '$tusEndpoint' -Protocol Tus -ChunkSize $Chunk"
                Kill = Invoke-Pwsh "$ours; Send-ChunkedFile -Path '$UpFile' -Uri '$tusEndpoint' -Protocol Tus -ChunkSize $Chunk"
                Resume = Invoke-Pwsh "$ours; Send-ChunkedFile -Path '$UpFile' -Uri '$tusEndpoint' -Protocol Tus -ChunkSize $Chunk -Resume"
            }
            @{
                # With its FileUrlStorage the same command resumes: it finds the upload URL by the file's fingerprint.
                Name = 'tus-js-client 4.3.1 FileUrlStorage'; Scenario = $tusScenario; Relay = $tusRelay; Connections = 1; Check = 'tus'
                Whole = $tusJs; Kill = $tusJs; Resume = $tusJs
            }
            @{
                Name = 'Send-ChunkedFile -Protocol S3 -Connections 4'; Scenario = $s3Scenario; Relay = $s3Relay; Connections = 4; Check = 's3'
                Key = 'bench-kill-ours.bin'
                Whole = Invoke-Pwsh "$s3Send -Uri 's3://$bucket/bench-kill-whole.bin'"
                Kill = Invoke-Pwsh "$s3Send -Uri 's3://$bucket/bench-kill-ours.bin'"
                Resume = Invoke-Pwsh "$s3Send -Uri 's3://$bucket/bench-kill-ours.bin' -Resume"
            }
        )
        $sourceSha = (Get-FileHash -LiteralPath $UpFile -Algorithm SHA256).Hash

        Write-Host "== kill -9 mid-upload at 50%, then resume (re-sent: bytes to the server over both runs less the file)"
        foreach ($t in $tools) {
            $relay = $t.Relay
            Clear-UploadState
            $relay.Reset()
            $whole = Measure-ProcessTree -FileName $t.Whole.File -ArgumentList $t.Whole.Args -WorkingDirectory $Work
            if ($whole.ExitCode -ne 0) { throw "$($t.Name) (uninterrupted) failed ($($whole.ExitCode)): $($whole.StdErr)$($whole.StdOut)" }
            Wait-RelayIdle $relay
            $wholeOverhead = $relay.BytesToServer - $UpSize

            Clear-UploadState
            $tusBefore = if ($t.Check -eq 'tus') { @(Get-TusUploadFiles | ForEach-Object Name) } else { @() }
            $relay.Reset()
            # Half the file plus half a chunk: exactly half is a chunk boundary, and connections that start their
            # chunks together finish them together, so a kill there would find nothing in flight.
            $mark = @{ Half = [long]($UpSize / 2 + $Chunk / 2); At = 0L }
            $halfSent = { $n = $relay.BytesToServer; if ($n -ge $mark.Half) { $mark.At = $n; $true } else { $false } }.GetNewClosure()
            $first = Measure-ProcessTree -FileName $t.Kill.File -ArgumentList $t.Kill.Args -WorkingDirectory $Work -KillWhen $halfSent
            if (-not $first.Killed) { throw "$($t.Name) ended ($($first.ExitCode)) before half of the file reached the server: $($first.StdErr)$($first.StdOut)" }
            $atKill = $mark.At
            Wait-RelayIdle $relay
            $killedRun = $relay.BytesToServer
            $second = Measure-ProcessTree -FileName $t.Resume.File -ArgumentList $t.Resume.Args -WorkingDirectory $Work
            if ($second.ExitCode -ne 0) { throw "$($t.Name) resume failed ($($second.ExitCode)): $($second.StdErr)$($second.StdOut)" }
            Wait-RelayIdle $relay
            $sent = $relay.BytesToServer
            $resent = [math]::Max(0, $sent - $UpSize)

            # Is what the server holds the file, and was it the killed run's upload that the resume completed?
            $note = ''
            if (Test-Path -LiteralPath "$UpFile.rtupload") { throw "$($t.Name): the state file $UpFile.rtupload is still there after the resume" }
            if ($t.Check -eq 'tus') {
                $new = @(Get-TusUploadFiles | Where-Object Name -NotIn $tusBefore)
                $complete = @($new | Where-Object Length -EQ $UpSize)
                if ($complete.Count -ne 1) { throw "$($t.Name): the tus server holds $($complete.Count) complete new uploads, expected 1" }
                if ((Get-FileHash -LiteralPath $complete[0].FullName -Algorithm SHA256).Hash -ne $sourceSha) { throw "$($t.Name): the uploaded file's SHA-256 differs from the source" }
                if ($new.Count -gt 1) {
                    # Ours must continue the killed run's upload; another client's fresh start is its behaviour, noted.
                    if ($t.Name -like 'Send-ChunkedFile*') { throw "$($t.Name): the resume started a new upload ($($new.Count) uploads on the server) instead of continuing the killed one" }
                    $note = " (started a new upload: $($new.Count) uploads on the server)"
                }
            }
            else {
                $swift = @{ Endpoint = $PeerEnv.SWIFT_S3_ENDPOINT; AccessKey = $PeerEnv.SWIFT_S3_ACCESS_KEY; SecretKey = $PeerEnv.SWIFT_S3_SECRET_KEY; Bucket = $bucket }
                $stored = Get-SwiftS3ObjectSha256 $swift $t.Key (Join-Path $Work 's3-readback.bin')
                if ($stored -ne $sourceSha.ToLowerInvariant()) { throw "$($t.Name): the object S3 holds has SHA-256 $stored, not the source's" }
            }
            Clear-UploadState

            $seconds = $first.Seconds + $second.Seconds
            $limit = $Chunk * $t.Connections
            Write-Host ("   {0,-44} whole {1:0.00} s, killed+resumed {2:0.00} s, re-sent {3:0.0} % ({4:0.0} MiB, limit {5:0} MiB)" -f
                $t.Name, $whole.Seconds, $seconds, (100 * $resent / $UpSize), ($resent / 1MB), ($limit / 1MB))
            Write-Host ("   {0,-44} killed after {1:0.00} s at {2:0.0} MiB sent ({3:0.0} MiB once its connections closed), resume sent {4:0.0} MiB in {5:0.00} s; a whole run's headers {6:0} KiB{7}" -f
                '', $first.Seconds, ($atKill / 1MB), ($killedRun / 1MB), (($sent - $killedRun) / 1MB), $second.Seconds, ($wholeOverhead / 1KB), $note)
            [pscustomobject]@{
                Scenario      = $t.Scenario
                Tool          = $t.Name
                Runs          = 1
                MedianSeconds = [math]::Round($seconds, 3)
                RatioToRef    = [math]::Round($seconds / $whole.Seconds, 3)
                Reference     = 'its own uninterrupted run'
                MiBPerSecond  = $null
                PeakMiB       = [math]::Round([math]::Max($first.PeakBytes, $second.PeakBytes) / 1MB, 1)
                ResentPercent = [math]::Round(100 * $resent / $UpSize, 2)
                ResentMiB     = [math]::Round($resent / 1MB, 2)
                LimitMiB      = [math]::Round($limit / 1MB, 2)
            }
        }
    }
    finally {
        Clear-UploadState
        if ($tusRelay) { $tusRelay.Dispose() }
        if ($s3Relay) { $s3Relay.Dispose() }
    }
}
