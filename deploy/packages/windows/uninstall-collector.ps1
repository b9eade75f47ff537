<#
.SYNOPSIS
  Remove the xlapulse collector service and program; -Purge also deletes its data.
.DESCRIPTION
  Without -Purge the spool, config and key in %ProgramData%\xlapulse stay, so a later
  install continues where this one stopped. Not run on the development machine.
#>
[CmdletBinding()]
param(
  [string] $InstallDir = "$env:ProgramFiles\xlapulse\collector",
  [switch] $Purge
)
$ErrorActionPreference = "Stop"
$ServiceName = "xlapulse-collector"
if (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue) {
  Stop-Service -Name $ServiceName -Force
  & sc.exe delete $ServiceName | Out-Null
}
if (Test-Path -LiteralPath $InstallDir) { Remove-Item -Recurse -Force $InstallDir }
if ($Purge) { Remove-Item -Recurse -Force (Join-Path $env:ProgramData "xlapulse") -ErrorAction SilentlyContinue }
