"""The ITSM and survey gateway: service-desk webhooks and survey answers in, contract events out.

Reads HTTP requests (ServiceNow, TOPdesk, Jira Service Management, Zendesk and a generic
JSON format; survey answers). Writes ``ticket`` events to ``xlapulse.tickets.v1``,
``survey_answer`` events to ``xlapulse.surveys.v1``, ``survey_invitation`` events to
``xlapulse.survey-invitations.v1`` and malformed payloads (redacted) to
``xlapulse.deadletter.v1``. See README.md in this folder.
"""
