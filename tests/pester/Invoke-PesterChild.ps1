# Runs the Pester tests and writes what happened to files the parent (build.ps1 -Task Test) reads. It runs in
# its own pwsh so that a crash of the module or of Pester cannot hide results: no summary file = a failure.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $SummaryPath
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

Import-Module -Name $PesterPath -Force
$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Detailed'
if ([Console]::IsOutputRedirected) {
    $config.Output.RenderMode = 'Plaintext'
    $PSStyle.OutputRendering = 'PlainText'
}
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath

$run = Invoke-Pester -Configuration $config

# A test file that does not parse, or a failed BeforeAll/AfterAll, is a failure too, not fewer tests. (A failed
# BeforeAll already fails the tests of its block, so blocks count only when no test failed.)
$failed = $run.FailedCount + $run.FailedContainersCount
if ($run.FailedCount -eq 0) { $failed += $run.FailedBlocksCount }
$summary = [ordered]@{
    Result           = $run.Result
    Passed           = $run.PassedCount
    Failed           = $failed
    Skipped          = $run.SkippedCount + $run.NotRunCount
    FailedTests      = @($run.Failed | ForEach-Object { $_.ExpandedPath })
    FailedBlocks     = @($run.FailedBlocks | ForEach-Object { $_.Path -join '.' })
    FailedContainers = @($run.FailedContainers | ForEach-Object { "$($_.Item)" })
    Duration         = $run.Duration.TotalSeconds
}
$summary | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath -Encoding utf8NoBOM
if ($failed -gt 0) { exit 1 }
exit 0
