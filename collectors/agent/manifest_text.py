"""The manifest's wording, in English and Dutch: every sentence, every source, every field.

Reads and writes nothing; ``manifest.py`` renders with it. Each collected field has a
sentence an employee or a works council understands without knowing the contract, under
its name or, where the meaning depends on the record, under ``<event type>.<field>`` (a
unit test checks that every field of every telemetry type has one per language, and
that none merely repeats the field's name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGES = ("en", "nl")


@dataclass(frozen=True)
class Wording:
    """All text of the manifest in one language; ``{...}`` are filled in by the renderer."""

    title: str
    intro: tuple[str, ...]
    contact: str
    no_contact: str
    retention: str
    no_retention: str
    destination: str
    encrypted: str
    not_encrypted: str
    spool: str
    read_heading: str
    nothing_read: str
    every_minutes: str
    every_seconds: str
    probe_targets: str
    probe_without_targets: str
    records_heading: str
    records_also: str
    never_sent: str
    field_off: str
    switched_heading: str
    nothing: str
    purposes: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


ENGLISH = Wording(
    title="What the xlapulse collector on this computer sends",
    intro=(
        "It measures how your IT feels to use: start-up, sign-in, VPN, applications,",
        "calls and printing. It does NOT read your files, e-mail, chats, web history,",
        "keystrokes or screen, and it does not record what you type or look at.",
        "",
        "Your user name and computer name are replaced on this computer by a code",
        "(a pseudonym made with a secret key) before anything is sent. The key is held",
        "by your IT department; the code cannot be turned back into a name. Results are",
        "shown only for groups of at least 5 people; nobody is compared with or ranked",
        "against colleagues.",
    ),
    contact="Questions: {contact}",
    no_contact=(
        "Questions: your organisation has not named a contact in this collector's\n"
        "configuration yet (privacy.contact); ask your IT department or works council."
    ),
    retention="How long it is kept: {retention}",
    no_retention=(
        "How long it is kept: not stated in this collector's configuration yet\n"
        "(privacy.retention); ask your IT department or works council."
    ),
    destination="Destination: Kafka at {servers} ({transport}).",
    encrypted="encrypted with TLS",
    not_encrypted="NOT encrypted",
    spool=(
        "While that is unreachable, records wait on this computer in a store of at most\n"
        "{megabytes} MB; when it is full, the oldest are deleted first."
    ),
    read_heading="What is read, and how often:",
    nothing_read="nothing: no source is switched on for this operating system.",
    every_minutes="every {count} minutes",
    every_seconds="every {count} seconds",
    probe_targets="to: {targets}",
    probe_without_targets="switched on, but no application is configured, so nothing is sent",
    records_heading="What each record contains:",
    records_also="(Every record also carries its format version and its kind.)",
    never_sent="switched off: never sent.",
    field_off="<- switched off",
    switched_heading="Switched off by your organisation:",
    nothing="nothing",
    purposes={
        "boot": "how long the computer took to start, and what slowed it down",
        "logon": "how long signing in took, split into its steps",
        "vpn_session": "when the VPN connected, dropped or failed, and why",
        "app_responsiveness": "which application was slow, stopped responding or crashed",
        "call_quality": "the network quality of Teams calls (never what was said or shown)",
        "print_job": "whether a print job printed or failed, and on which printer",
        "synthetic_probe": "how fast the work applications answered a test request",
        "session": (
            "when you signed in, locked, unlocked and signed out (only to count the hours the "
            "computer was in use, so problems can be counted per hour of use)"
        ),
    },
    sources={
        "windows_eventlog": (
            "the Windows event log: start-up, sign-in, virus-scan, VPN, printing and "
            "application-crash entries"
        ),
        "systemd_boot": "the start-up times Linux records (systemd-analyze)",
        "journald": "the Linux system log (journal): sign-ins, VPN connections, print failures; "
        "and the printers' connections (lpstat), for the print server's name",
        "wireguard": (
            "the WireGuard VPN's connection state (when the VPN server last answered; on "
            "Windows the WireGuard app's log: connections, drops and failed handshakes)"
        ),
        "cups_error_log": "the printing system's log (CUPS): print jobs that printed or failed; "
        "and the printers' connections (lpstat), for the print server's name",
        "macos_unified_log": "the macOS system log: start-up, VPN and printing entries; and the "
        "printers' connections (lpstat), for the print server's name",
        "macos_console_users": (
            "the list of people signed in on this Mac that macOS keeps (IOConsoleUsers): "
            "sign-in, lock, unlock and sign-out"
        ),
        "synthetic_probe": "timed test requests to work applications (they carry no user data)",
        "graph_call_records": (
            "Microsoft Teams call-quality records (network quality per stream, never content)"
        ),
        "cisco_secure_client": (
            "the Cisco Secure Client (AnyConnect) VPN's log: connected, dropped, disconnected "
            "or failed, with its error code"
        ),
        "globalprotect": (
            "the GlobalProtect VPN's event log: connected, dropped or failed (a user name in "
            "it is replaced by your pseudonym)"
        ),
        "forticlient": "the FortiClient VPN's log: when the VPN connected or failed",
        "zoom_qos": (
            "Zoom call-quality records exported by IT (network quality per stream, never content)"
        ),
    },
    fields={
        "event_id": "a random number that identifies this record (to drop duplicates)",
        "event_time": "the date and time it happened",
        "user_id": "your pseudonym: a code made from your user name with a secret key",
        "device_id": "the computer's pseudonym: a code made from its name with a secret key",
        # boot
        "boot_duration_ms": "how long starting took, from switching on until ready to use "
        "(milliseconds)",
        "main_path_duration_ms": "the part of that until the sign-in screen appeared "
        "(milliseconds)",
        "post_boot_duration_ms": "the part after the sign-in screen until the computer was no "
        "longer busy (milliseconds)",
        "profile_processing_duration_ms": "how long loading your user settings (profile) took "
        "during start-up (milliseconds)",
        "explorer_init_duration_ms": "how long the desktop and taskbar took to appear "
        "(milliseconds)",
        "startup_app_count": "how many programs start automatically (a number, not their names)",
        "is_degradation": "whether the computer itself marked this start as slower than normal",
        "degrading_components": "the system parts or drivers that slowed the start, e.g. a "
        "disk-encryption driver (never your files)",
        "antivirus_scan_duration_ms": "how long the virus scanner's start-up scan ran "
        "(milliseconds)",
        "antivirus_scan_share_ratio": "the share of the start-up time that scan took (0 to 1)",
        "previous_shutdown_duration_ms": "how long the shutdown before this start took "
        "(milliseconds)",
        # logon
        "logon_duration_ms": "how long signing in took, until the desktop was ready (milliseconds)",
        "group_policy_duration_ms": "the part spent applying the organisation's settings "
        "(group policy) (milliseconds)",
        "profile_load_duration_ms": "the part spent loading your user settings (profile) "
        "(milliseconds)",
        "shell_start_duration_ms": "the part spent starting the desktop (milliseconds)",
        "logon_kind": "how you signed in: at the computer, remotely, offline with stored "
        "credentials, or by unlocking",
        # vpn_session
        "vpn_session.state": "what happened to the VPN connection: connected, dropped, failed "
        "or closed",
        "session.state": "what happened to your sign-in session: started, locked, unlocked or "
        "ended",
        "reason": "the VPN software's short technical reason for a drop or failure",
        "vpn_session.error_code": "the error number the VPN software gave, if any",
        "print_job.error_code": "the error number the printing system gave when it failed",
        "session_duration_s": "how long the VPN connection had lasted (seconds)",
        "vpn_gateway": "which of the organisation's VPN servers was used (not your location)",
        # app_responsiveness
        "kind": "what happened: an action was slow, the application stopped responding, or "
        "it crashed",
        "app_responsiveness.app_name": "the application's name, e.g. outlook.exe",
        "synthetic_probe.app_name": "the name your organisation gave the tested application",
        "app_version": "the application's version number",
        "transaction_name": "the name of the slow action as the application reports it, "
        "e.g. 'open mailbox' (never its content)",
        "duration_ms": "how long the slow action or the hang lasted (milliseconds)",
        "exception_code": "the technical error code of a crash",
        # call_quality
        "call_id": "the call's number in Teams, to group its streams (not whom you called)",
        "media": "which stream: sound, video or screen sharing",
        "direction": "whether the stream came in or went out",
        "jitter_ms": "how unevenly sound or picture arrived (milliseconds)",
        "packet_loss_ratio": "the share of sound or picture lost on the network (0 to 1)",
        "round_trip_ms": "the network delay there and back (milliseconds)",
        "mos": "the quality rating Teams computes, 1 (bad) to 5 (excellent); not your opinion",
        "network_mos_degradation": "how much the network lowered that rating",
        "concealed_sample_ratio": "the share of sound Teams had to fill in because it came too "
        "late or not at all (0 to 1)",
        "dropped_segment": "whether the stream broke off",
        "duration_s": "how long the stream lasted (seconds)",
        # print_job
        "print_job.outcome": "whether the job printed or failed",
        "synthetic_probe.outcome": "whether the test request worked, or how it failed (error "
        "answer, too slow, no connection, certificate, name lookup)",
        "printer": "the name of the printer used and, when it is reached through a print "
        "server, that server's name, e.g. 'HR-2nd-floor' or 'HR-2nd-floor@printsrv01' (never "
        "the document)",
        "page_count": "how many pages (never the document's name or content)",
        # synthetic_probe
        "target_host": "the server address tested, e.g. outlook.office.com (set by your "
        "organisation, not a site you visited)",
        "status_code": "the server's answer code, e.g. 200 for OK",
        "dns_ms": "time until the server's address was found (milliseconds)",
        "connect_ms": "time until the connection stood (milliseconds)",
        "tls_ms": "time until the connection was encrypted (milliseconds)",
        "first_byte_ms": "time until the server's first answer (milliseconds)",
        "total_ms": "time until the request finished or was given up (milliseconds)",
        # session
        "session_id": "the operating system's number for the sign-in session (not your name)",
        "active_duration_s": "how long it was unlocked before this lock or sign-out (seconds)",
    },
)

DUTCH = Wording(
    title="Wat de xlapulse-collector op deze computer verstuurt",
    intro=(
        "Hij meet hoe uw IT aanvoelt in gebruik: opstarten, aanmelden, VPN, programma's,",
        "gesprekken en afdrukken. Hij leest NIET uw bestanden, e-mail, chats,",
        "surfgeschiedenis, toetsaanslagen of scherm, en legt niet vast wat u typt of bekijkt.",
        "",
        "Uw gebruikersnaam en computernaam worden op deze computer vervangen door een code",
        "(een pseudoniem, gemaakt met een geheime sleutel) voordat er iets wordt verstuurd.",
        "De sleutel ligt bij uw IT-afdeling; de code is niet terug te rekenen naar een naam.",
        "Uitkomsten worden alleen getoond voor groepen van minstens 5 mensen; niemand wordt",
        "met collega's vergeleken of in een ranglijst gezet.",
    ),
    contact="Vragen: {contact}",
    no_contact=(
        "Vragen: uw organisatie heeft in de configuratie van deze collector nog geen\n"
        "contactpersoon genoemd (privacy.contact); vraag het uw IT-afdeling of "
        "ondernemingsraad."
    ),
    retention="Hoe lang het bewaard wordt: {retention}",
    no_retention=(
        "Hoe lang het bewaard wordt: nog niet vermeld in de configuratie van deze collector\n"
        "(privacy.retention); vraag het uw IT-afdeling of ondernemingsraad."
    ),
    destination="Bestemming: Kafka op {servers} ({transport}).",
    encrypted="versleuteld met TLS",
    not_encrypted="NIET versleuteld",
    spool=(
        "Zolang die onbereikbaar is, wachten berichten op deze computer in een opslag van\n"
        "hoogstens {megabytes} MB; is die vol, dan worden de oudste het eerst verwijderd."
    ),
    read_heading="Wat er gelezen wordt, en hoe vaak:",
    nothing_read="niets: voor dit besturingssysteem staat geen bron aan.",
    every_minutes="elke {count} minuten",
    every_seconds="elke {count} seconden",
    probe_targets="naar: {targets}",
    probe_without_targets="aangezet, maar er is geen applicatie ingesteld, dus er wordt niets "
    "verstuurd",
    records_heading="Wat elk bericht bevat:",
    records_also="(Elk bericht bevat ook zijn formaatversie en zijn soort.)",
    never_sent="uitgezet: wordt nooit verstuurd.",
    field_off="<- uitgezet",
    switched_heading="Uitgezet door uw organisatie:",
    nothing="niets",
    purposes={
        "boot": "hoe lang het opstarten van de computer duurde, en wat het vertraagde",
        "logon": "hoe lang het aanmelden duurde, verdeeld in stappen",
        "vpn_session": "wanneer de VPN verbond, wegviel of mislukte, en waarom",
        "app_responsiveness": "welk programma traag was, niet meer reageerde of vastliep",
        "call_quality": "de netwerkkwaliteit van Teams-gesprekken (nooit wat er gezegd of "
        "getoond werd)",
        "print_job": "of een afdruk lukte of mislukte, en op welke printer",
        "synthetic_probe": "hoe snel de werkapplicaties op een testverzoek antwoordden",
        "session": (
            "wanneer u zich aanmeldde, vergrendelde, ontgrendelde en afmeldde (alleen om de "
            "gebruiksuren te tellen, zodat problemen per gebruiksuur geteld kunnen worden)"
        ),
    },
    sources={
        "windows_eventlog": (
            "het Windows-logboek: meldingen over opstarten, aanmelden, virusscan, VPN, "
            "afdrukken en vastgelopen programma's"
        ),
        "systemd_boot": "de opstarttijden die Linux vastlegt (systemd-analyze)",
        "journald": "het Linux-systeemlogboek (journal): aanmeldingen, VPN-verbindingen, "
        "mislukte afdrukken; en de aansluiting van de printers (lpstat), voor de naam van de "
        "printserver",
        "wireguard": "de verbindingsstatus van de WireGuard-VPN (wanneer de VPN-server het "
        "laatst antwoordde; op Windows het logboek van de WireGuard-app: verbindingen, "
        "onderbrekingen en mislukte handshakes)",
        "cups_error_log": "het logboek van het afdruksysteem (CUPS): afdrukken die lukten of "
        "mislukten; en de aansluiting van de printers (lpstat), voor de naam van de printserver",
        "macos_unified_log": "het macOS-systeemlogboek: meldingen over opstarten, VPN en "
        "afdrukken; en de aansluiting van de printers (lpstat), voor de naam van de printserver",
        "macos_console_users": (
            "de lijst van aangemelde personen die macOS bijhoudt (IOConsoleUsers): aanmelden, "
            "vergrendelen, ontgrendelen en afmelden"
        ),
        "synthetic_probe": "getimede testverzoeken aan werkapplicaties (zonder gebruikersgegevens)",
        "graph_call_records": (
            "kwaliteitsgegevens van Teams-gesprekken (netwerkkwaliteit per stroom, nooit de inhoud)"
        ),
        "cisco_secure_client": (
            "het logboek van de Cisco Secure Client-VPN (AnyConnect): verbonden, weggevallen, "
            "verbroken of mislukt, met de foutcode"
        ),
        "globalprotect": (
            "het gebeurtenissenlogboek van de GlobalProtect-VPN: verbonden, weggevallen of "
            "mislukt (een gebruikersnaam erin wordt vervangen door je pseudoniem)"
        ),
        "forticlient": "het logboek van de FortiClient-VPN: wanneer de VPN verbond of mislukte",
        "zoom_qos": (
            "kwaliteitsgegevens van Zoom-gesprekken die IT exporteert (netwerkkwaliteit per "
            "stroom, nooit de inhoud)"
        ),
    },
    fields={
        "event_id": "een willekeurig nummer dat dit bericht herkenbaar maakt (tegen dubbelen)",
        "event_time": "datum en tijd waarop het gebeurde",
        "user_id": "uw pseudoniem: een code, met een geheime sleutel gemaakt uit uw gebruikersnaam",
        "device_id": "het pseudoniem van de computer: een code, met een geheime sleutel gemaakt "
        "uit de computernaam",
        # boot
        "boot_duration_ms": "hoe lang het opstarten duurde, van aanzetten tot klaar voor "
        "gebruik (milliseconden)",
        "main_path_duration_ms": "het deel daarvan tot het aanmeldscherm verscheen (milliseconden)",
        "post_boot_duration_ms": "het deel na het aanmeldscherm tot de computer niet meer "
        "bezig was (milliseconden)",
        "profile_processing_duration_ms": "hoe lang het laden van uw instellingen (profiel) "
        "tijdens het opstarten duurde (milliseconden)",
        "explorer_init_duration_ms": "hoe lang het duurde voordat bureaublad en taakbalk "
        "verschenen (milliseconden)",
        "startup_app_count": "hoeveel programma's automatisch starten (een aantal, geen namen)",
        "is_degradation": "of de computer deze start zelf als trager dan normaal aanmerkte",
        "degrading_components": "de systeemonderdelen of stuurprogramma's die het opstarten "
        "vertraagden, bijv. voor schijfversleuteling (nooit uw bestanden)",
        "antivirus_scan_duration_ms": "hoe lang de opstartscan van de virusscanner liep "
        "(milliseconden)",
        "antivirus_scan_share_ratio": "welk deel van de opstarttijd die scan duurde (0 tot 1)",
        "previous_shutdown_duration_ms": "hoe lang het afsluiten vóór deze start duurde "
        "(milliseconden)",
        # logon
        "logon_duration_ms": "hoe lang het aanmelden duurde, tot het bureaublad klaar was "
        "(milliseconden)",
        "group_policy_duration_ms": "het deel voor het toepassen van de instellingen van de "
        "organisatie (groepsbeleid) (milliseconden)",
        "profile_load_duration_ms": "het deel voor het laden van uw instellingen (profiel) "
        "(milliseconden)",
        "shell_start_duration_ms": "het deel voor het starten van het bureaublad (milliseconden)",
        "logon_kind": "hoe u zich aanmeldde: aan de computer, op afstand, offline met "
        "opgeslagen gegevens, of door te ontgrendelen",
        # vpn_session
        "vpn_session.state": "wat er met de VPN-verbinding gebeurde: verbonden, weggevallen, "
        "mislukt of afgesloten",
        "session.state": "wat er met uw aanmeldsessie gebeurde: gestart, vergrendeld, "
        "ontgrendeld of beëindigd",
        "reason": "de korte technische reden die de VPN-software gaf voor wegvallen of mislukken",
        "vpn_session.error_code": "het foutnummer van de VPN-software, als dat er is",
        "print_job.error_code": "het foutnummer van het afdruksysteem als het mislukte",
        "session_duration_s": "hoe lang de VPN-verbinding had geduurd (seconden)",
        "vpn_gateway": "welke VPN-server van de organisatie werd gebruikt (niet uw locatie)",
        # app_responsiveness
        "kind": "wat er gebeurde: een handeling was traag, het programma reageerde niet meer, "
        "of het liep vast",
        "app_responsiveness.app_name": "de naam van het programma, bijv. outlook.exe",
        "synthetic_probe.app_name": "de naam die uw organisatie de geteste applicatie gaf",
        "app_version": "het versienummer van het programma",
        "transaction_name": "de naam van de trage handeling zoals het programma die meldt, "
        "bijv. 'open mailbox' (nooit de inhoud)",
        "duration_ms": "hoe lang de trage handeling of het niet-reageren duurde (milliseconden)",
        "exception_code": "de technische foutcode van het vastlopen",
        # call_quality
        "call_id": "het nummer van het gesprek in Teams, om de stromen ervan samen te nemen "
        "(niet met wie u belde)",
        "media": "welke stroom: geluid, video of scherm delen",
        "direction": "of de stroom binnenkwam of uitging",
        "jitter_ms": "hoe onregelmatig geluid of beeld aankwam (milliseconden)",
        "packet_loss_ratio": "het deel van geluid of beeld dat onderweg verloren ging (0 tot 1)",
        "round_trip_ms": "de netwerkvertraging heen en terug (milliseconden)",
        "mos": "het kwaliteitscijfer dat Teams berekent, 1 (slecht) tot 5 (uitstekend); niet uw "
        "oordeel",
        "network_mos_degradation": "hoeveel het netwerk dat cijfer verlaagde",
        "concealed_sample_ratio": "het deel van het geluid dat Teams moest opvullen omdat het "
        "te laat of niet aankwam (0 tot 1)",
        "dropped_segment": "of de stroom afbrak",
        "duration_s": "hoe lang de stroom duurde (seconden)",
        # print_job
        "print_job.outcome": "of de afdruk lukte of mislukte",
        "synthetic_probe.outcome": "of het testverzoek lukte, of hoe het mislukte (foutantwoord, "
        "te traag, geen verbinding, certificaat, naam opzoeken)",
        "printer": "de naam van de gebruikte printer en, als die via een printserver loopt, de "
        "naam van die server, bijv. 'HR-2e-verdieping' of 'HR-2e-verdieping@printsrv01' (nooit "
        "het document)",
        "page_count": "hoeveel pagina's (nooit de naam of inhoud van het document)",
        # synthetic_probe
        "target_host": "het geteste serveradres, bijv. outlook.office.com (ingesteld door uw "
        "organisatie, geen site die u bezocht)",
        "status_code": "de antwoordcode van de server, bijv. 200 voor OK",
        "dns_ms": "tijd tot het adres van de server gevonden was (milliseconden)",
        "connect_ms": "tijd tot de verbinding er was (milliseconden)",
        "tls_ms": "tijd tot de verbinding versleuteld was (milliseconden)",
        "first_byte_ms": "tijd tot het eerste antwoord van de server (milliseconden)",
        "total_ms": "tijd tot het verzoek klaar was of werd opgegeven (milliseconden)",
        # session
        "session_id": "het nummer dat het besturingssysteem de aanmeldsessie gaf (niet uw naam)",
        "active_duration_s": "hoe lang de sessie ontgrendeld was vóór deze vergrendeling of "
        "afmelding (seconden)",
    },
)

WORDING = {"en": ENGLISH, "nl": DUTCH}
