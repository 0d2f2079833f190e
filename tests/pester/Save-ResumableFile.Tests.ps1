# Save-ResumableFile as a user runs it, in a real pwsh, against the test server started as a process.
# Run through build.ps1 -Task Test (it builds and stages out/ResumeTransfer first).

BeforeDiscovery {
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $ParameterCases = @((Get-Command Save-ResumableFile).Parameters.Keys | Where-Object { $_ -notin $common } | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . $PSScriptRoot/TestServer.ps1
    . $PSScriptRoot/DetachedPwsh.ps1
    . $PSScriptRoot/StateFile.ps1
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    $Server = Start-TestServer
    $Base = $Server.BaseUri

    function New-Tag([string] $Name) { "pester-$Name-$([guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function Get-Sha256([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }
}

AfterAll {
    Stop-TestServer $Server
}

Describe 'Save-ResumableFile' {
    Context 'a plain download' {
        It 'downloads <Size> bytes over <Connections> connection(s) with the SHA-256 the server computes' -ForEach @(
            @{ Size = 1; Connections = 1; MinRangedRequests = 0 }
            @{ Size = 1MB + 17; Connections = 1; MinRangedRequests = 0 }
            @{ Size = 12MB + 4321; Connections = 4; MinRangedRequests = 2 }
        ) {
            $tag = New-Tag plain
            $target = Join-Path $TestDrive "plain-$Size.bin"
            $result = Save-ResumableFile -Uri "$Base/files/plain.bin?size=$Size&tag=$tag" -OutFile $target -Connections $Connections -PassThru

            Get-Sha256 $target | Should -Be (Get-TestServerSha256 $Server -Size $Size)
            $result.Length | Should -Be $Size
            $result.Path | Should -Be $target
            "$target.rtpart" | Should -Not -Exist
            "$target.rtstate" | Should -Not -Exist
            $log = Get-TestServerLog $Server $tag
            @($log | Where-Object { $_.statusCode -ge 400 }) | Should -HaveCount 0
            @($log | Where-Object { $_.method -eq 'GET' -and $_.statusCode -eq 206 }).Count | Should -BeGreaterOrEqual $MinRangedRequests
            # No separate probe: the first request asks for the whole file and is also the first data request.
            $log[0].range | Should -Be 'bytes=0-'
            @($log | Where-Object { $_.range -eq 'bytes=0-0' }) | Should -HaveCount 0
            if ($Connections -eq 1) {
                @($log | Where-Object method -EQ 'GET') | Should -HaveCount 1
            }
        }

        It 'writes nothing with -WhatIf' {
            $tag = New-Tag whatif
            $target = Join-Path $TestDrive 'whatif.bin'
            Save-ResumableFile -Uri "$Base/files/whatif.bin?size=1000&tag=$tag" -OutFile $target -WhatIf
            $target | Should -Not -Exist
            "$target.rtpart" | Should -Not -Exist
            @(Get-TestServerLog $Server $tag | Where-Object method -EQ 'GET') | Should -HaveCount 0
        }
    }

    Context 'secrets in the address' {
        It 'masks the password in the user info and the query in -WhatIf, -Verbose and the error record' {
            $tag = New-Tag secret
            $hostPort = ([uri]$Base).Authority
            $uri = "http://alice:Pa55-SECRET@$hostPort/files/secret.bin?size=10&tag=$tag&token=TOKEN-SECRET&fault=status&code=404"
            $target = Join-Path $TestDrive 'secret.bin'

            # What-if messages go to the host, so a child pwsh shows them on its output.
            $command = "Import-Module '$ModulePath'; Save-ResumableFile -Uri '$uri' -OutFile '$target' -AllowUnencryptedAuthentication -WhatIf"
            $whatIf = & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $command 2>&1 | Out-String
            $whatIf | Should -Match ([regex]::Escape("Download http://***@$hostPort/files/secret.bin?***"))

            $errors = @()
            $verbose = Save-ResumableFile -Uri $uri -OutFile $target -AllowUnencryptedAuthentication -Verbose -ErrorVariable errors -ErrorAction SilentlyContinue 4>&1 | Out-String
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'NotFound,*'
            $shown = $whatIf + $verbose + $errors[0].Exception.Message + $errors[0].TargetObject + ($errors[0] | Out-String)
            $shown | Should -Not -Match 'Pa55-SECRET'
            $shown | Should -Not -Match 'TOKEN-SECRET'
            "$($errors[0].TargetObject)" | Should -Be "http://***@$hostPort/files/secret.bin?***"
            # The server got the credential as Basic authentication, not in the address.
            (Get-TestServerLog $Server $tag)[0].authorization | Should -Be ('Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('alice:Pa55-SECRET')))
        }
    }

    Context 'a directory as -OutFile' {
        It 'names the file from Content-Disposition <Disposition> and stays inside the directory' -ForEach @(
            @{ Disposition = 'attachment; filename="../../escape.bin"' }
            @{ Disposition = "attachment; filename*=UTF-8''..%2F..%2Fescape.bin" }
            @{ Disposition = 'attachment; filename="..\..\escape.bin"' }
            @{ Disposition = 'attachment; filename="/tmp/rt-pester-escape.bin"' }
            @{ Disposition = 'attachment; filename=".."' }
            @{ Disposition = "attachment; filename=`"innocent.bin`"; filename*=UTF-8''..%2F..%2F..%2Fescape.bin" }
        ) {
            $sandbox = Join-Path $TestDrive "sandbox-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
            $dir = Join-Path $sandbox 'inside'
            New-Item -ItemType Directory -Path $dir | Out-Null
            $tag = New-Tag disposition
            $uri = "$Base/files/report.bin?size=4096&tag=$tag&disposition=$([uri]::EscapeDataString($Disposition))"
            $result = $null; $failure = $null
            try { $result = Save-ResumableFile -Uri $uri -OutFile "$dir/" -PassThru -ErrorAction Stop }
            catch { $failure = $_ }

            # Either a safe name inside the directory or a clear InvalidFileName error; never a file elsewhere.
            if ($failure) {
                $failure.FullyQualifiedErrorId | Should -BeLike 'InvalidFileName*'
            }
            else {
                [System.IO.Path]::GetDirectoryName($result.Path) | Should -Be ([System.IO.Path]::GetFullPath($dir))
                Get-Sha256 $result.Path | Should -Be (Get-TestServerSha256 $Server -Size 4096)
            }
            Get-ChildItem -LiteralPath $sandbox -Recurse -File |
                Where-Object { -not $_.FullName.StartsWith($dir + [System.IO.Path]::DirectorySeparatorChar) } |
                Should -BeNullOrEmpty
            (Get-ChildItem -LiteralPath $sandbox).Name -join ', ' | Should -Be 'inside'
            '/tmp/rt-pester-escape.bin' | Should -Not -Exist
            (Join-Path $TestDrive 'escape.bin') | Should -Not -Exist
        }
    }

    Context 'an existing target' {
        BeforeEach {
            $tag = New-Tag exists
            $uri = "$Base/files/exists.bin?size=65536&tag=$tag"
            $target = Join-Path $TestDrive "exists-$tag.bin"
            Set-Content -LiteralPath $target -Value 'the user''s own file' -NoNewline
        }

        It 'is an error TargetExists without -Resume or -Force, and is left untouched' {
            { Save-ResumableFile -Uri $uri -OutFile $target -ErrorAction Stop } | Should -Throw -ErrorId 'TargetExists*'
            Get-Content -LiteralPath $target -Raw | Should -Be 'the user''s own file'
            "$target.rtpart" | Should -Not -Exist
        }

        It 'is replaced with -Force' {
            Save-ResumableFile -Uri $uri -OutFile $target -Force
            Get-Sha256 $target | Should -Be (Get-TestServerSha256 $Server -Size 65536)
        }
    }

    Context 'files planted beside the target' {
        It 'never writes through a symbolic link at <Name> with -Resume (<ErrorId>), and the victim is untouched' -ForEach @(
            @{ Name = '.rtpart'; ErrorId = 'InvalidState' }
            @{ Name = '.rtstate'; ErrorId = 'InvalidState' }
            @{ Name = '.rtlock'; ErrorId = 'InvalidState' }
            @{ Name = ''; ErrorId = 'TargetExists' }
        ) {
            $tag = New-Tag planted
            $target = Join-Path $TestDrive "planted-$tag.bin"
            $victim = Join-Path $TestDrive "victim-$tag"
            Set-Content -LiteralPath $victim -Value 'precious' -NoNewline
            New-Item -ItemType SymbolicLink -Path "$target$Name" -Target $victim | Out-Null

            { Save-ResumableFile -Uri "$Base/files/planted.bin?size=65536&tag=$tag" -OutFile $target -Resume -ErrorAction Stop } |
                Should -Throw -ErrorId "$ErrorId*"
            Get-Content -LiteralPath $victim -Raw | Should -Be 'precious'
            @(Get-TestServerLog $Server $tag) | Should -HaveCount 0
        }

        It 'refuses a server-chosen name <Name> before reading the answer' -ForEach @(
            @{ Name = 'other.bin.rtstate' }
            @{ Name = 'other.bin.rtupload' }
        ) {
            $tag = New-Tag ownname
            $dir = Join-Path $TestDrive "ownname-$tag"
            New-Item -ItemType Directory -Path $dir | Out-Null
            $disposition = [uri]::EscapeDataString('attachment; filename="' + $Name + '"')
            $uri = "$Base/files/x.bin?size=4096&tag=$tag&disposition=$disposition"
            { Save-ResumableFile -Uri $uri -OutFile "$dir/" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFileName*'
            @(Get-ChildItem -LiteralPath $dir -Force) | Should -HaveCount 0
        }

        It 'keeps the permissions of a file replaced with -Force' -Skip:$IsWindows {
            $tag = New-Tag mode
            $target = Join-Path $TestDrive "mode-$tag.sh"
            Set-Content -LiteralPath $target -Value 'old'
            chmod 750 $target
            Save-ResumableFile -Uri "$Base/files/mode.sh?size=4096&tag=$tag" -OutFile $target -Force
            Get-Sha256 $target | Should -Be (Get-TestServerSha256 $Server -Size 4096)
            (Get-Item -LiteralPath $target).UnixMode | Should -Be '-rwxr-x---'
        }
    }

    Context 'a server that bends the range rules' {
        It 'finishes on one connection with a warning when ranges that do not start at byte 0 get 416' {
            $size = 6MB
            $tag = New-Tag from-zero
            $target = Join-Path $TestDrive 'from-zero.bin'

            Save-ResumableFile -Uri "$Base/files/z.bin?size=$size&tag=$tag&fault=range416unlesszero" -OutFile $target -Connections 4 -WarningVariable warnings -WarningAction SilentlyContinue

            Get-Sha256 $target | Should -Be (Get-TestServerSha256 $Server -Size $size)
            @($warnings | Where-Object { "$_" -like '*does not really serve ranges*one connection*' }) | Should -HaveCount 1
            (Get-TestServerLog $Server $tag)[-1].range | Should -Be "bytes=0-$($size - 1)"
        }

        It 'saves an object stored gzipped as served, with a warning, and checks -ExpectedHash on those bytes' {
            $size = 2MB
            $tag = New-Tag stored-gzip
            $uri = "$Base/files/g.bin.gz?size=$size&tag=$tag&fault=storedgzip"
            $target = Join-Path $TestDrive 'g.bin.gz'

            $result = Save-ResumableFile -Uri $uri -OutFile $target -PassThru -WarningVariable warnings -WarningAction SilentlyContinue

            $result.Hash | Should -Be (Get-Sha256 $target)
            @($warnings | Where-Object { "$_" -like "*Content-Encoding 'gzip'*-ExpectedHash*" }) | Should -HaveCount 1
            $file = [System.IO.File]::OpenRead($target)
            try {
                $plain = [System.IO.MemoryStream]::new()
                $gzip = [System.IO.Compression.GZipStream]::new($file, [System.IO.Compression.CompressionMode]::Decompress)
                $gzip.CopyTo($plain)
                $gzip.Dispose()
            }
            finally {
                $file.Dispose()
            }
            [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($plain.ToArray())).ToLowerInvariant() | Should -Be (Get-TestServerSha256 $Server -Size $size)

            $again = Join-Path $TestDrive 'g-again.bin.gz'
            Save-ResumableFile -Uri $uri -OutFile $again -ExpectedHash $result.Hash -WarningAction SilentlyContinue
            Get-Sha256 $again | Should -Be $result.Hash
            { Save-ResumableFile -Uri $uri -OutFile (Join-Path $TestDrive 'g-plain-hash.bin.gz') -ExpectedHash (Get-TestServerSha256 $Server -Size $size) -WarningAction SilentlyContinue -ErrorAction Stop } |
                Should -Throw -ErrorId 'IntegrityCheckFailed*'
        }
    }

    Context 'a full disk' {
        BeforeAll {
            # A real 4 MiB file system (the tests run as root); a mount that fails fails the test, it is never skipped.
            $Disk = "/tmp/rt-full-pester-$([guid]::NewGuid().ToString('n'))"
            New-Item -ItemType Directory -Path $Disk | Out-Null
            $mountOutput = & mount -t tmpfs -o size=4m tmpfs $Disk 2>&1
            $Mounted = $LASTEXITCODE -eq 0
        }

        AfterAll {
            if ($Mounted) { & umount $Disk }
            Remove-Item -LiteralPath $Disk -Force -ErrorAction SilentlyContinue
        }

        It 'is an error DiskFull that names the bytes needed, before any file is created' {
            $Mounted | Should -BeTrue -Because "a 4 MiB tmpfs must be mounted at $Disk (run as root on Linux): $mountOutput"
            $tag = New-Tag diskfull
            $target = Join-Path $Disk 'big.bin'
            $errors = @()
            Save-ResumableFile -Uri "$Base/files/big.bin?size=$(6MB)&tag=$tag" -OutFile $target -ErrorVariable errors -ErrorAction SilentlyContinue

            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'DiskFull,*'
            $errors[0].CategoryInfo.Category | Should -Be 'WriteError'
            $errors[0].Exception.Message | Should -Match "needs $(6MB) bytes .* has only \d+ bytes .* free"
            $errors[0].Exception.Message | Should -Match '-Resume'
            @(Get-ChildItem -LiteralPath $Disk -Force) | Should -HaveCount 0
        }
    }

    Context 'kill -9 of the downloading pwsh' {
        It 'resumes with -Resume from the bytes the killed pwsh left, to the right SHA-256' {
            $size = 32MB
            $tag = New-Tag kill
            # 2 connections at 4 MiB/s each: about 4 s for the whole file; it is killed after the first MiB or so.
            $uri = "$Base/files/kill.bin?size=$size&rate=$(4MB)&tag=$tag"
            $target = Join-Path $TestDrive 'kill.bin'
            $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; " +
                "Save-ResumableFile -Uri '$uri' -OutFile '$target' -Connections 2"
            $child = Start-DetachedPwsh -Command $command -OutputPath (Join-Path $TestDrive 'kill-child.log')
            try {
                $progress = Wait-DownloadProgress -StatePath "$target.rtstate" -Process $child.Process -MinimumBytes 1MB
                $child.Process.HasExited | Should -BeFalse -Because "the child must still be downloading when killed (last state: $($progress | Out-String -Width 200); exit code $(if ($child.Process.HasExited) { $child.Process.ExitCode }); output: $(Get-DetachedPwshOutput $child))"
                $progress.FirstSegmentBytes | Should -BeGreaterOrEqual 1MB -Because 'the state file must record progress within 60 s'
            }
            finally {
                Stop-DetachedPwsh $child
            }
            $target | Should -Not -Exist
            "$target.rtpart" | Should -Exist
            "$target.rtstate" | Should -Exist
            $onDisk = (Get-DownloadProgress "$target.rtstate").BytesOnDisk
            # Entries are logged when a request arrives, and the killed pwsh sends nothing more.
            $firstRun = @(Get-TestServerLog $Server $tag).Count

            $result = Save-ResumableFile -Uri $uri -OutFile $target -Resume -PassThru

            Get-Sha256 $target | Should -Be (Get-TestServerSha256 $Server -Size $size)
            "$target.rtpart" | Should -Not -Exist
            "$target.rtstate" | Should -Not -Exist
            $result.BytesResumed | Should -BeGreaterOrEqual $onDisk
            $result.BytesResumed + $result.BytesDownloaded | Should -Be $size
            $secondRun = @(Get-TestServerLog $Server $tag | Select-Object -Skip $firstRun)
            $data = @($secondRun | Where-Object { $_.method -eq 'GET' -and $_.range -ne 'bytes=0-0' })
            $data | Should -Not -BeNullOrEmpty
            # No request of the resume starts at byte 0 (a GET without Range counts as one from 0).
            $starts = $data | ForEach-Object { $start = Get-RangeStart $_.range; if ($null -eq $start) { 0 } else { $start } }
            ($starts | Measure-Object -Minimum).Minimum | Should -BeGreaterThan 0
            # What the server sent for the resume is what was missing (a probe may add a little).
            ($secondRun | Measure-Object -Property bodyBytesSent -Sum).Sum | Should -BeLessOrEqual ($size - $onDisk + 1MB)
        }
    }

    Context 'pipeline input' {
        It 'downloads the 3 rows of a CSV with columns <UriColumn>,<PathColumn> and -ThrottleLimit 2' -ForEach @(
            @{ UriColumn = 'Uri'; PathColumn = 'OutFile' }
            @{ UriColumn = 'Url'; PathColumn = 'Destination' }
        ) {
            $tag = New-Tag csv
            $sizes = 100000, 2MB + 1, 777
            $csv = Join-Path $TestDrive "downloads-$tag.csv"
            $rows = for ($i = 0; $i -lt 3; $i++) {
                [pscustomobject]@{
                    $UriColumn  = "$Base/files/row$i.bin?size=$($sizes[$i])&seed=$($i + 2)&tag=$tag"
                    $PathColumn = Join-Path $TestDrive "$tag-row$i.bin"
                }
            }
            $rows | Export-Csv -LiteralPath $csv -NoTypeInformation

            $results = @(Import-Csv -LiteralPath $csv | Save-ResumableFile -ThrottleLimit 2 -PassThru)

            $results | Should -HaveCount 3
            for ($i = 0; $i -lt 3; $i++) {
                Get-Sha256 (Join-Path $TestDrive "$tag-row$i.bin") | Should -Be (Get-TestServerSha256 $Server -Size $sizes[$i] -Seed ($i + 2))
            }
        }

        It 'reports a failed row as a non-terminating error and downloads the others' {
            $tag = New-Tag csvfail
            $csv = Join-Path $TestDrive "failing-$tag.csv"
            @(
                [pscustomobject]@{ Uri = "$Base/files/ok1.bin?size=5000&tag=$tag"; OutFile = Join-Path $TestDrive "$tag-ok1.bin" }
                [pscustomobject]@{ Uri = "$Base/files/gone.bin?size=5000&tag=$tag&fault=status&code=404"; OutFile = Join-Path $TestDrive "$tag-gone.bin" }
                [pscustomobject]@{ Uri = "$Base/files/ok2.bin?size=6000&tag=$tag"; OutFile = Join-Path $TestDrive "$tag-ok2.bin" }
            ) | Export-Csv -LiteralPath $csv -NoTypeInformation

            $results = @(Import-Csv -LiteralPath $csv | Save-ResumableFile -ThrottleLimit 2 -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue)

            $results | Should -HaveCount 2
            $failures | Should -HaveCount 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'NotFound*'
            Get-Sha256 (Join-Path $TestDrive "$tag-ok1.bin") | Should -Be (Get-TestServerSha256 $Server -Size 5000)
            Get-Sha256 (Join-Path $TestDrive "$tag-ok2.bin") | Should -Be (Get-TestServerSha256 $Server -Size 6000)
            Join-Path $TestDrive "$tag-gone.bin" | Should -Not -Exist
        }
    }

    Context 'help' {
        BeforeAll {
            $Help = Get-Help Save-ResumableFile -Full
        }

        It 'has a synopsis and at least 5 examples' {
            $Help.Synopsis | Should -Not -BeNullOrEmpty
            $Help.Synopsis | Should -Not -Match '^\s*Save-ResumableFile\s*\['   # the generated stand-in, not real help
            @($Help.examples.example).Count | Should -BeGreaterOrEqual 5
        }

        It 'describes -<Name>' -ForEach $ParameterCases {
            $parameter = $Help.parameters.parameter | Where-Object name -EQ $Name
            $parameter | Should -Not -BeNullOrEmpty
            ($parameter.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        }

        It 'has about_ResumeTransfer, which explains the state files' {
            $env:PSModulePath = [System.IO.Path]::GetDirectoryName($ModulePath) + [System.IO.Path]::PathSeparator + $env:PSModulePath
            $about = Get-Help about_ResumeTransfer | Out-String
            $about | Should -Match '\.rtstate'
            $about | Should -Match '\.rtpart'
        }
    }
}
