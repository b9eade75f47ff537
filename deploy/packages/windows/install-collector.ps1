<#
.SYNOPSIS
  Install or upgrade the xlapulse workplace collector as a Windows service.
.DESCRIPTION
  Run as Administrator from the unpacked payload folder (build_windows.py makes it):
  wheels\, xlapulse_service.py, collector.toml, this script. Creates a venv with the given Python 3.11
  from the bundled wheels (no network), copies the organisation's config and key to
  %ProgramData%\xlapulse (the key readable by SYSTEM and Administrators only), writes
  service.json with absolute paths, registers the service "xlapulse-collector"
  (automatic start, restart on failure: 10 s, 10 s, 60 s) and starts it. An upgrade
  keeps the spool (%ProgramData%\xlapulse\collector) and an existing config.
  Not run on the development machine (no Windows, no PowerShell there).
.EXAMPLE
  .\install-collector.ps1 -ConfigPath C:\deploy\collector.toml -KeyPath C:\deploy\pseudonym.key
#>
[CmdletBinding()]
param(
  # The organisation's collector.toml; by default the one in this payload.
  [string] $ConfigPath = (Join-Path $PSScriptRoot "collector.toml"),
  [Parameter(Mandatory = $true)] [string] $KeyPath,
  [string] $Python = "C:\Program Files\Python311\python.exe",
  [string] $InstallDir = "$env:ProgramFiles\xlapulse\collector"
)
$ErrorActionPreference = "Stop"
$ServiceName = "xlapulse-collector"
$DataDir = Join-Path $env:ProgramData "xlapulse"

foreach ($path in @($ConfigPath, $KeyPath, $Python, $InstallDir)) {
  if (-not [System.IO.Path]::IsPathRooted($path)) { throw "Not an absolute path: $path" }
}
foreach ($path in @($ConfigPath, $KeyPath, $Python)) {
  if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "No such file: $path" }
}

$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($existing) { Stop-Service -Name $ServiceName -Force }

# The program: a fresh venv from the bundled wheels on every install or upgrade.
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -Force (Join-Path $PSScriptRoot "xlapulse_service.py") $InstallDir
$venv = Join-Path $InstallDir "venv"
& $Python -m venv --clear $venv
if ($LASTEXITCODE -ne 0) { throw "python -m venv failed ($LASTEXITCODE)" }
$venvPython = Join-Path $venv "Scripts\python.exe"
& $venvPython -m pip install --quiet --no-index --find-links (Join-Path $PSScriptRoot "wheels") xlapulse pywin32
if ($LASTEXITCODE -ne 0) { throw "pip install failed ($LASTEXITCODE)" }

# Configuration and key: the config is kept on upgrade, the key is replaced.
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
$config = Join-Path $DataDir "collector.toml"
if (-not (Test-Path -LiteralPath $config)) { Copy-Item $ConfigPath $config }
$key = Join-Path $DataDir "pseudonym.key"
Copy-Item -Force $KeyPath $key
& icacls.exe $key /inheritance:r /grant:r "*S-1-5-18:F" "*S-1-5-32-544:F" | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls failed ($LASTEXITCODE)" }

@{
  executable = (Join-Path $venv "Scripts\xlapulse.exe")
  config     = $config
  key_file   = $key
} | ConvertTo-Json | Set-Content -Encoding UTF8 (Join-Path $InstallDir "service.json")

# Register (pywin32 hosts the class in pythonservice.exe), then recovery actions.
if (-not $existing) {
  & $venvPython (Join-Path $InstallDir "xlapulse_service.py") --startup auto install
  if ($LASTEXITCODE -ne 0) { throw "service registration failed ($LASTEXITCODE)" }
}
& sc.exe failure $ServiceName reset= 86400 actions= restart/10000/restart/10000/restart/60000 | Out-Null
& sc.exe failureflag $ServiceName 1 | Out-Null
Start-Service -Name $ServiceName
Get-Service -Name $ServiceName
