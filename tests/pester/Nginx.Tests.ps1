# Save-ResumableFile against a real nginx (plain static files, its own range, ETag and If-Range handling).
# nginx missing fails these tests on purpose: CI installs it (.ci/run).

BeforeAll {
    . $PSScriptRoot/../peers/nginx.ps1
    . $PSScriptRoot/TestServer.ps1   # Get-RangeStart
    . $PSScriptRoot/DetachedPwsh.ps1
    . $PSScriptRoot/StateFile.ps1
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    $Size = 16MB
    $WebRoot = Join-Path $TestDrive 'www'
    New-Item -ItemType Directory -Path $WebRoot | Out-Null
    $bytes = [byte[]]::new($Size)
    [System.Random]::new(20261125).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes((Join-Path $WebRoot 'data.bin'), $bytes)
    $Sha = [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
    $bytes = $null
    # /slow/ is capped per connection: 4 connections x 1 MiB/s make the 16 MiB take about 4 s.
    $Nginx = Start-NginxPeer -Root $WebRoot -SlowRate '1m'

    function Get-Sha256([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }
    function Get-UnixNow { [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 }
}

AfterAll {
    Stop-NginxPeer $Nginx
}

Describe 'Save-ResumableFile against nginx' {
    It 'downloads 16 MiB over 4 connections with ranged 206 answers and the right SHA-256' {
        $target = Join-Path $TestDrive 'fast.bin'
        $t0 = Get-UnixNow

        $result = Save-ResumableFile -Uri "$($Nginx.BaseUri)/files/data.bin" -OutFile $target -Connections 4 -PassThru

        Get-Sha256 $target | Should -Be $Sha
        $result.Length | Should -Be $Size
        $requests = @(Read-NginxAccessLog $Nginx | Where-Object { $_.Uri -eq '/files/data.bin' -and $_.Method -eq 'GET' -and $_.Started -ge $t0 })
        $ranged = @($requests | Where-Object { $_.Status -eq 206 -and $_.Range })
        $ranged.Count | Should -BeGreaterOrEqual 2 -Because 'four connections fetch segments with ranges'
        @($requests | Where-Object { $_.Range -eq 'bytes=0-' }) | Should -HaveCount 1 -Because 'the first request is the probe and the first data request in one'
        @($requests | Where-Object { $_.Range -eq 'bytes=0-0' }) | Should -HaveCount 0 -Because 'a fresh download sends no separate probe'
        @($requests | Where-Object { $_.Status -ge 400 }) | Should -HaveCount 0
    }

    It 'resumes a throttled download after kill -9, with ranges from where it stopped, to the right SHA-256' {
        $uri = "$($Nginx.BaseUri)/slow/data.bin"
        $target = Join-Path $TestDrive 'killed.bin'
        $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; " +
            "Save-ResumableFile -Uri '$uri' -OutFile '$target' -Connections 4"
        $child = Start-DetachedPwsh -Command $command -OutputPath (Join-Path $TestDrive 'nginx-child.log')
        try {
            $progress = Wait-DownloadProgress -StatePath "$target.rtstate" -Process $child.Process -MinimumBytes 256KB
            $child.Process.HasExited | Should -BeFalse -Because "the child must still be downloading when killed (last state: $($progress | Out-String -Width 200); exit code $(if ($child.Process.HasExited) { $child.Process.ExitCode }); output: $(Get-DetachedPwshOutput $child))"
            $progress.FirstSegmentBytes | Should -BeGreaterOrEqual 256KB
        }
        finally {
            Stop-DetachedPwsh $child
        }
        "$target.rtpart" | Should -Exist
        $onDisk = (Get-DownloadProgress "$target.rtstate").BytesOnDisk
        $t0 = Get-UnixNow

        $result = Save-ResumableFile -Uri $uri -OutFile $target -Resume -PassThru

        Get-Sha256 $target | Should -Be $Sha
        "$target.rtstate" | Should -Not -Exist
        $result.BytesResumed | Should -BeGreaterOrEqual $onDisk
        # nginx logs a request when it ends; the resume's requests are those that began after the kill.
        $resumed = @(Read-NginxAccessLog $Nginx | Where-Object { $_.Uri -eq '/slow/data.bin' -and $_.Method -eq 'GET' -and $_.Started -ge $t0 })
        $data = @($resumed | Where-Object { $_.Range -ne 'bytes=0-0' })
        $data | Should -Not -BeNullOrEmpty
        $data | ForEach-Object Status | Sort-Object -Unique | Should -Be 206
        ($data | ForEach-Object { $start = Get-RangeStart $_.Range; if ($null -eq $start) { 0 } else { $start } } |
            Measure-Object -Minimum).Minimum | Should -BeGreaterThan 0
        ($resumed | Measure-Object -Property BodyBytes -Sum).Sum | Should -BeLessOrEqual ($Size - $onDisk + 1MB)
    }
}
