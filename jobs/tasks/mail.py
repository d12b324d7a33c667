"""The mail task: send an email without blocking the request that asked for it."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage

from jobs.registry import task

logger = logging.getLogger(__name__)

ADDRESS = {"type": "string", "format": "email", "pattern": "^[^@\\s]+@[^@\\s]+$", "maxLength": 254}


@task(
    "mail.send",
    parameters={
        "properties": {
            "to": {"oneOf": [ADDRESS, {"type": "array", "items": ADDRESS, "minItems": 1, "maxItems": 50}]},
            "subject": {"type": "string", "maxLength": 998, "pattern": "^[^\\r\\n]*$"},
            "body": {"type": "string", "maxLength": 100_000},
        },
        "required": ["to", "subject", "body"],
    },
    max_retries=3,
    retry_intervals=(10, 60, 300),  # SMTP hiccups are usually transient
)
def send(to: str | list[str], subject: str, body: str) -> dict[str, object]:
    """Send one email to one or more recipients from DEFAULT_FROM_EMAIL."""
    recipients = [to] if isinstance(to, str) else list(to)
    sent = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
    logger.info("mail.sent", extra={"recipients": len(recipients)})
    return {"sent": sent, "to": recipients}
