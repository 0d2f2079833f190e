# Save-ResumableFile from ftp:// and ftps:// as a user runs it, against pyftpdlib (tests/peers/ftp-server.py).
# ftps runs in a child pwsh whose SSL_CERT_FILE names the peer's self-signed certificate: that is how a machine's
# OpenSSL trust is set for one process, and .NET on Linux honours it, so the source's own certificate validation is
# what is tested. Run through build.ps1 -Task Test (it builds and stages out/ResumeTransfer first).

BeforeAll {
    . $PSScriptRoot/FtpPeer.ps1
    . $PSScriptRoot/DetachedPwsh.ps1
    . $PSScriptRoot/StateFile.ps1
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    function Get-Sha256([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

    function New-RemoteFile([string] $Directory, [string] $Name, [int] $Size) {
        # Random bytes as $Directory/$Name; returns their SHA-256.
        $bytes = [byte[]]::new($Size)
        [System.Random]::new($Size).NextBytes($bytes)
        $path = Join-Path $Directory $Name
        New-Item -ItemType Directory -Path (Split-Path $path) -Force | Out-Null
        [System.IO.File]::WriteAllBytes($path, $bytes)
        [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
    }

    function Invoke-TrustingPwsh([string] $Command, [string] $Certificate, [string] $OutputPath) {
        # Runs $Command in a child pwsh that trusts $Certificate (and nothing else); returns its exit code.
        $saved = $env:SSL_CERT_FILE
        $env:SSL_CERT_FILE = $Certificate
        try { $child = Start-DetachedPwsh -Command $Command -OutputPath $OutputPath }
        finally { $env:SSL_CERT_FILE = $saved }
        Wait-DetachedPwsh $child -TimeoutSec 120
    }
}

Describe 'Save-ResumableFile from FTP and FTPS' {
    BeforeEach {
        $Root = Join-Path $TestDrive "root-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
        $Ftp = $null
    }

    AfterEach {
        Stop-FtpPeer $Ftp
    }

    It 'downloads over ftp:// with <Connections> connection(s), REST at the segment starts' -ForEach @(
        @{ Connections = 1 }
        @{ Connections = 4 }
    ) {
        $Ftp = Start-FtpPeer -Directory $Root
        $sha = New-RemoteFile $Root 'pub/file.iso' (6MB + 11)
        $target = Join-Path $TestDrive "file-$Connections.iso"

        $result = Save-ResumableFile -Uri "$($Ftp.Url)pub/file.iso" -OutFile $target -Connections $Connections -PassThru

        Get-Sha256 $target | Should -Be $sha
        $result.Length | Should -Be (6MB + 11)
        "$target.rtstate" | Should -Not -Exist
        $rests = @(Get-FtpPeerLog $Ftp | Where-Object { $_.Kind -eq 'CMD' -and $_.Line -match '^REST [1-9]' })
        $rests.Count | Should -Be ($Connections - 1)
    }

    It 'downloads over ftps:// with <Connections> connection(s) from a server that requires TLS session reuse' -ForEach @(
        @{ Connections = 1 }
        @{ Connections = 4 }
    ) {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--tls', '--require-tls-reuse'
        $sha = New-RemoteFile $Root 'secure.bin' (3MB + 5)
        $target = Join-Path $TestDrive "secure-$Connections.bin"
        $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; " +
            "Save-ResumableFile -Uri '$($Ftp.Url)secure.bin' -OutFile '$target' -Connections $Connections -ErrorAction Stop"
        $log = Join-Path $TestDrive "secure-$Connections.log"

        $code = Invoke-TrustingPwsh $command $Ftp.Certificate $log

        $code | Should -Be 0 -Because (Get-Content -Raw -LiteralPath $log, "$log.stderr" -ErrorAction SilentlyContinue)
        Get-Sha256 $target | Should -Be $sha
        $entries = @(Get-FtpPeerLog $Ftp)
        $entries[0].Line | Should -Be 'AUTH TLS'
        $tls = @($entries | Where-Object Kind -eq 'TLSDATA')
        $tls.Count | Should -BeGreaterOrEqual $Connections
        $tls | ForEach-Object { $_.Reused | Should -BeTrue }
    }

    It 'refuses an ftps:// server whose certificate this machine does not trust, at once (ConnectionFailed)' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--tls'
        New-RemoteFile $Root 'a.bin' 1000 | Out-Null
        $target = Join-Path $TestDrive 'untrusted.bin'

        { Save-ResumableFile -Uri "$($Ftp.Url)a.bin" -OutFile $target -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectionFailed*' -ExpectedMessage '*certificate*'

        $target | Should -Not -Exist
        Start-Sleep -Milliseconds 300
        @(Get-FtpPeerLog $Ftp | Where-Object { $_.Kind -eq 'CMD' -and $_.Line -eq 'AUTH TLS' }).Count | Should -Be 1 -Because 'a certificate error is not retried'
    }

    It 'resumes after kill -9 of the downloading pwsh, fetching only the missing bytes' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--rate', "$(1MB)"
        $size = 12MB
        $sha = New-RemoteFile $Root 'kill.bin' $size
        $uri = "$($Ftp.Url)kill.bin"
        $target = Join-Path $TestDrive 'kill.bin'
        $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; Save-ResumableFile -Uri '$uri' -OutFile '$target' -Connections 2"
        $child = Start-DetachedPwsh -Command $command -OutputPath (Join-Path $TestDrive 'kill-child.log')
        try {
            $progress = Wait-DownloadProgress -StatePath "$target.rtstate" -Process $child.Process -MinimumBytes 1MB
            $child.Process.HasExited | Should -BeFalse -Because "the child must still be downloading when killed ($(Get-DetachedPwshOutput $child))"
        }
        finally {
            Stop-DetachedPwsh $child
        }
        $onDisk = (Get-DownloadProgress "$target.rtstate").BytesOnDisk
        $onDisk | Should -BeGreaterThan 0
        Start-Sleep -Milliseconds 300   # the server logs a data connection once it noticed its end
        $before = @(Get-FtpPeerLog $Ftp).Count

        $result = Save-ResumableFile -Uri $uri -OutFile $target -Resume -Connections 2 -PassThru

        Get-Sha256 $target | Should -Be $sha
        $result.BytesResumed | Should -BeGreaterOrEqual $onDisk
        $result.Restarted | Should -BeFalse
        Start-Sleep -Milliseconds 300
        $resume = @(Get-FtpPeerLog $Ftp | Select-Object -Skip $before)
        @($resume | Where-Object { $_.Kind -eq 'CMD' -and $_.Line -eq 'RETR kill.bin' }).Count | Should -BeGreaterThan 0
        @($resume | Where-Object { $_.Kind -eq 'DATA' -and $_.Rest -eq 0 }).Count | Should -Be 0 -Because 'nothing is fetched again from byte 0'
        # Nothing the client kept is fetched twice: what it downloaded is exactly what the state lacked.
        $result.BytesDownloaded + $result.BytesResumed | Should -Be $size
        # The server's count also holds what it had sent past a range's end when the client closed that data
        # connection (ABOR): at most one burst of its 1 MB/s throttle per aborted range, never a second copy.
        $aborted = @($resume | Where-Object { $_.Kind -eq 'DATA' -and -not $_.Complete }).Count
        ($resume | Where-Object Kind -eq 'DATA' | Measure-Object -Property Sent -Sum).Sum | Should -BeLessOrEqual ($size - $result.BytesResumed + [math]::Max(1, $aborted) * 1MB)
    }

    It 'starts over when the remote file changed between the kill and -Resume' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--rate', "$(1MB)"
        New-RemoteFile $Root 'moving.bin' 8MB | Out-Null
        $uri = "$($Ftp.Url)moving.bin"
        $target = Join-Path $TestDrive 'moving.bin'
        $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; Save-ResumableFile -Uri '$uri' -OutFile '$target' -Connections 1"
        $child = Start-DetachedPwsh -Command $command -OutputPath (Join-Path $TestDrive 'moving-child.log')
        try { Wait-DownloadProgress -StatePath "$target.rtstate" -Process $child.Process -MinimumBytes 1MB | Out-Null }
        finally { Stop-DetachedPwsh $child }
        "$target.rtstate" | Should -Exist
        $sha = New-RemoteFile $Root 'moving.bin' (8MB - 3)

        $result = Save-ResumableFile -Uri $uri -OutFile $target -Resume -PassThru -WarningVariable warnings -WarningAction SilentlyContinue

        Get-Sha256 $target | Should -Be $sha
        $result.BytesResumed | Should -Be 0
        ($warnings -join "`n") | Should -Match 'changed'
    }

    It 'reports a refused login as AccessDenied' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--tls', '--user', 'alice:right', '--no-anonymous'
        New-RemoteFile $Root 'a.bin' 10 | Out-Null
        $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; " +
            "`$c = [pscredential]::new('alice', (ConvertTo-SecureString 'wrong' -AsPlainText -Force)); " +
            "try { Save-ResumableFile -Uri '$($Ftp.Url)a.bin' -OutFile '$(Join-Path $TestDrive 'denied.bin')' -Credential `$c -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; exit 3 }"
        $log = Join-Path $TestDrive 'denied.log'

        $code = Invoke-TrustingPwsh $command $Ftp.Certificate $log

        $code | Should -Be 3
        (Get-Content -Raw -LiteralPath $log) | Should -Match '^AccessDenied,'
        @(Get-FtpPeerLog $Ftp | Where-Object { $_.Kind -eq 'CMD' -and $_.Line -eq 'PASS ***' }).Count | Should -Be 1 -Because 'a refused login is not retried'
    }

    It 'reports a missing file as NotFound' {
        $Ftp = Start-FtpPeer -Directory $Root
        { Save-ResumableFile -Uri "$($Ftp.Url)missing.iso" -OutFile (Join-Path $TestDrive 'missing.iso') -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotFound*'
    }

    It 'falls back to the logins the server allows, with one warning' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--max-cons-per-ip', '2'
        $sha = New-RemoteFile $Root 'few.bin' (4MB)
        $target = Join-Path $TestDrive 'few.bin'

        Save-ResumableFile -Uri "$($Ftp.Url)few.bin" -OutFile $target -Connections 4 -WarningVariable warnings -WarningAction SilentlyContinue

        Get-Sha256 $target | Should -Be $sha
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'refused another login .*421.*continuing with 2 connections instead of 4'
    }

    It 'downloads from byte 0 with a warning when the server has no REST' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--no-rest'
        $sha = New-RemoteFile $Root 'norest.bin' (2MB)
        $target = Join-Path $TestDrive 'norest.bin'

        Save-ResumableFile -Uri "$($Ftp.Url)norest.bin" -OutFile $target -Connections 4 -WarningVariable warnings -WarningAction SilentlyContinue

        Get-Sha256 $target | Should -Be $sha
        ($warnings -join "`n") | Should -Match 'REST STREAM.*from byte 0 on one connection'
    }

    It 'refuses -Credential over plain ftp:// without -AllowUnencryptedAuthentication, before any traffic' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--user', 'alice:right'
        New-RemoteFile $Root 'a.bin' 10 | Out-Null
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'right' -AsPlainText -Force))

        { Save-ResumableFile -Uri "$($Ftp.Url)a.bin" -OutFile (Join-Path $TestDrive 'plain.bin') -Credential $credential -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument*' -ExpectedMessage '*-AllowUnencryptedAuthentication*'

        Start-Sleep -Milliseconds 300
        @(Get-FtpPeerLog $Ftp | Where-Object { $_.Kind -eq 'CMD' }).Count | Should -Be 0 -Because 'not even a connection is made, so no PASS is sent'
    }

    It 'logs in with -Credential over plain ftp:// with -AllowUnencryptedAuthentication' {
        $Ftp = Start-FtpPeer -Directory $Root -Options '--user', 'alice:right', '--no-anonymous'
        $sha = New-RemoteFile $Root 'a.bin' 1000
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'right' -AsPlainText -Force))
        $target = Join-Path $TestDrive 'allowed.bin'

        Save-ResumableFile -Uri "$($Ftp.Url)a.bin" -OutFile $target -Credential $credential -AllowUnencryptedAuthentication

        Get-Sha256 $target | Should -Be $sha
        @(Get-FtpPeerLog $Ftp | Where-Object { $_.Kind -eq 'CMD' -and $_.Line -eq 'USER alice' }).Count | Should -BeGreaterThan 0
    }

    It 'refuses <Address> before any traffic, naming the fix (<Fix>)' -ForEach @(
        @{ Address = 'ftp://127.0.0.1:9/pub/'; Fix = 'directory' }
        @{ Address = 'ftp://user:secret@127.0.0.1:9/a.iso'; Fix = '-Credential' }
        @{ Address = 'ftps://127.0.0.1:9/'; Fix = 'directory' }
    ) {
        $failure = { Save-ResumableFile -Uri $Address -OutFile (Join-Path $TestDrive 'bad.bin') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument*' -PassThru
        $failure.Exception.Message | Should -BeLike "*$Fix*"
        $failure.Exception.Message | Should -Not -BeLike '*secret*'
    }

    It 'does nothing with -WhatIf' {
        $Ftp = Start-FtpPeer -Directory $Root
        New-RemoteFile $Root 'a.bin' 10 | Out-Null
        $target = Join-Path $TestDrive 'whatif.bin'

        Save-ResumableFile -Uri "$($Ftp.Url)a.bin" -OutFile $target -WhatIf

        $target | Should -Not -Exist
        Start-Sleep -Milliseconds 200
        @(Get-FtpPeerLog $Ftp | Where-Object Kind -eq 'CMD').Count | Should -Be 0
    }
}
