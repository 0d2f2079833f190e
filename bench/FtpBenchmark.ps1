<#
.SYNOPSIS
FTP download benchmark (issue 11): one file over one connection from pyftpdlib on loopback, Save-ResumableFile
against `curl ftp://...`, both as a whole process and (ours) inside one warm pwsh session.

.DESCRIPTION
Dot-sourced by Invoke-Benchmark.ps1, which calls Invoke-FtpBenchmark and adds its rows to the report; or on its own:
    dotnet pwsh -NoProfile -Command ". ./bench/FtpBenchmark.ps1; Invoke-FtpBenchmark -ModulePath ./out/ResumeTransfer -Work /tmp/rt-ftpbench -Bytes 1GB -Runs 3 | Format-Table Tool, MedianSeconds, RatioToRef, MiBPerSecond, PeakMiB"
after `dotnet pwsh ./build.ps1 -Task Build` (the staged module) and with curl and python3-pyftpdlib installed
(.ci/install-packages --bench). The server sends with sendfile(2), as pyftpdlib does by default, so it is not what
limits either client. The warm-session row times Save-ResumableFile inside one pwsh after Import-Module and one
warm-up download: what a script that downloads many files pays per file; the target is ≤ 1.1× curl's time.
#>
. (Join-Path $PSScriptRoot 'ProcessTreeMeter.ps1')   # Measure-ProcessTree

function Invoke-FtpBenchmark {
    <#
    .OUTPUTS
    Rows like Invoke-Benchmark.ps1's (Scenario, Tool, Runs, MedianSeconds, RatioToRef, Reference, MiBPerSecond,
    PeakMiB, MaxPeakMiB); curl is the reference.
    #>
    param(
        [Parameter(Mandatory)] [string] $ModulePath,
        # A scratch folder: the served file and the downloads go here.
        [Parameter(Mandatory)] [string] $Work,
        [long] $Bytes = 1GB,
        [int] $Runs = 3
    )
    if (-not (Test-Path -LiteralPath '/usr/lib/python3/dist-packages/pyftpdlib/__init__.py')) {
        throw 'pyftpdlib is missing: apt-get install -y python3-pyftpdlib python3-openssl (.ci/install-packages --bench)'
    }
    $ModulePath = (Resolve-Path $ModulePath).Path   # the child pwsh runs in another folder
    $root = Join-Path $Work 'ftp-root'
    $out = Join-Path $Work 'ftp-dl'
    New-Item -ItemType Directory -Path $root, $out -Force | Out-Null
    & head -c $Bytes /dev/urandom > (Join-Path $root 'big.bin')
    $label = if ($Bytes -ge 1GB) { "$($Bytes / 1GB) GiB" } else { "$($Bytes / 1MB) MiB" }
    $scenario = "$label over FTP, 1 connection"
    $dotnet = (Get-Command dotnet).Source
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'

    $serverStart = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/python3')
    foreach ($a in (Join-Path $PSScriptRoot '../tests/peers/ftp-server.py'), '--dir', $root, '--sendfile', '--stdin-lifeline') { $serverStart.ArgumentList.Add($a) }
    $serverStart.RedirectStandardInput = $true
    $serverStart.RedirectStandardOutput = $true
    $serverStart.UseShellExecute = $false
    $server = [System.Diagnostics.Process]::Start($serverStart)
    try {
        $ready = $server.StandardOutput.ReadLine()
        if ($ready -notmatch '^READY (\S+)') { throw "The FTP server did not start: $ready" }
        $url = "$($Matches[1])big.bin"
        # The server's later log lines are not needed; drained so it never blocks on a full pipe.
        $drain = $server.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)

        $times = @{ curl = [System.Collections.Generic.List[double]]::new(); process = [System.Collections.Generic.List[double]]::new() }
        $peaks = @{ curl = [System.Collections.Generic.List[double]]::new(); process = [System.Collections.Generic.List[double]]::new() }
        $ours = "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; Save-ResumableFile -Uri '$url' -OutFile '$out/ours.bin' -Connections 1 -Force"
        for ($i = 0; $i -lt $Runs; $i++) {
            foreach ($tool in 'curl', 'process') {
                Get-ChildItem -LiteralPath $out -Force | Remove-Item -Force
                & sync
                $m = if ($tool -eq 'curl') {
                    Measure-ProcessTree -FileName 'curl' -ArgumentList @('-sS', '-f', '-o', "$out/curl.bin", $url) -WorkingDirectory $out
                }
                else {
                    Measure-ProcessTree -FileName $dotnet -ArgumentList @($pwshDll, '-NoProfile', '-NonInteractive', '-Command', $ours) -WorkingDirectory $out
                }
                if ($m.ExitCode -ne 0) { throw "FTP benchmark, $tool failed ($($m.ExitCode)): $($m.StdErr)$($m.StdOut)" }
                $times[$tool].Add($m.Seconds)
                $peaks[$tool].Add($m.PeakBytes)
                Write-Host ("   {0,-40} {1,7:0.000} s" -f $tool, $m.Seconds)
            }
        }

        # One warm session: import, one warm-up download, then -Runs timed downloads (each after rm + sync, like the others).
        $inner = "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; " +
            "for (`$i = 0; `$i -le $Runs; `$i++) { Remove-Item '$out/*' -Force -ErrorAction SilentlyContinue; & sync; " +
            "`$w = [Diagnostics.Stopwatch]::StartNew(); Save-ResumableFile -Uri '$url' -OutFile '$out/warm.bin' -Connections 1 -Force; " +
            "if (`$i -gt 0) { 'INNER ' + `$w.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture) } }"
        $m = Measure-ProcessTree -FileName $dotnet -ArgumentList @($pwshDll, '-NoProfile', '-NonInteractive', '-Command', $inner) -WorkingDirectory $out
        if ($m.ExitCode -ne 0) { throw "FTP benchmark, warm session failed ($($m.ExitCode)): $($m.StdErr)$($m.StdOut)" }
        $warm = @([regex]::Matches($m.StdOut, 'INNER (\S+)') | ForEach-Object { [double]::Parse($_.Groups[1].Value, [cultureinfo]::InvariantCulture) })
        $warm | ForEach-Object { Write-Host ("   {0,-40} {1,7:0.000} s" -f 'warm session', $_) }
        $server.StandardInput.Close()
        $server.WaitForExit(5000) | Out-Null
        $drain.Wait(2000) | Out-Null

        function Median([double[]] $v) { ($v | Sort-Object)[[int][math]::Floor(($v.Count - 1) / 2)] }
        $ref = Median $times.curl
        function Row([string] $Tool, [double[]] $Seconds, [double[]] $Peak) {
            $med = Median $Seconds
            [pscustomobject]@{
                Scenario = $scenario; Tool = $Tool; Runs = $Seconds.Count; MedianSeconds = [math]::Round($med, 3)
                RatioToRef = [math]::Round($med / $ref, 3); Reference = 'curl ftp://'
                MiBPerSecond = [math]::Round($Bytes / 1MB / $med, 1)
                PeakMiB = [math]::Round((Median $Peak) / 1MB, 1); MaxPeakMiB = [math]::Round(($Peak | Measure-Object -Maximum).Maximum / 1MB, 1)
            }
        }
        Row 'curl ftp://' $times.curl $peaks.curl
        Row 'Save-ResumableFile -Conn 1, whole pwsh process' $times.process $peaks.process
        Row 'Save-ResumableFile -Conn 1, inside one warm pwsh' $warm @($m.PeakBytes)
    }
    finally {
        if (-not $server.HasExited) { $server.Kill($true) }
        $server.Dispose()
        Remove-Item -LiteralPath $root, $out -Recurse -Force -ErrorAction SilentlyContinue
    }
}
