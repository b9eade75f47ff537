"""Whether Windows audits what the session events need: ``collector check``'s warning.

Security 4800/4801 (lock, unlock) and 4779/4778 (Remote Desktop disconnect, reconnect)
are logged only when the audit subcategory "Other Logon/Logoff Events" audits success,
which is off by default. Without it a locked or disconnected session counts as active.

Reads the report of ``auditpol /get /subcategory:{GUID} /r`` (CSV: Machine Name, Policy
Target, Subcategory, Subcategory GUID, Inclusion Setting, Exclusion Setting; the
subcategory is named by its GUID, so a localized Windows answers too). Writes nothing:
returns the warning, or None.
"""

from __future__ import annotations

import csv
import io

#: "Other Logon/Logoff Events" (MS-GPAC; ``auditpol /list /subcategory:* /v``)
OTHER_LOGON_LOGOFF_GUID = "{0CCE921C-69AE-11D9-BED3-505054503030}"
#: Inclusion Setting values that audit success (MS-GPAC 2.2.1.3.1)
AUDITS_SUCCESS = ("Success", "Success and Failure")
ENABLE_COMMAND = (
    f"auditpol /set /subcategory:{OTHER_LOGON_LOGOFF_GUID} /success:enable (or the same "
    '"Audit Other Logon/Logoff Events" by GPO)'
)


def auditpol_argv() -> list[str]:
    return ["auditpol", "/get", f"/subcategory:{OTHER_LOGON_LOGOFF_GUID}", "/r"]


def session_audit_warning(report: str) -> str | None:
    """None when the report says the subcategory audits success; else what to do."""
    rows = list(csv.reader(io.StringIO(report)))
    for row in rows:
        if len(row) >= 5 and row[3].strip().upper() == OTHER_LOGON_LOGOFF_GUID:
            setting = row[4].strip()
            if setting in AUDITS_SUCCESS:
                return None
            return (
                f'"Other Logon/Logoff Events" is audited as "{setting}", not for success: '
                "locks, unlocks and Remote Desktop disconnects (4800, 4801, 4779, 4778) are "
                f"not logged, so locked sessions count as active; run {ENABLE_COMMAND}"
            )
    return (
        'auditpol\'s report names no "Other Logon/Logoff Events" setting: cannot tell '
        f"whether locks and disconnects are logged; run {ENABLE_COMMAND}"
    )
