"""The mail task: send an email without blocking the request that asked for it."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from jobs.registry import task

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
# The schema only screens the shape (and keeps whitespace, so header injection, out);
# Django's validator does the real check when the task runs.
ADDRESS = {"type": "string", "format": "email", "pattern": "^[^@\\s]+@[^@\\s]+$", "maxLength": 254}


class InvalidRecipient(ValueError):
    """An address passed the schema's screen but is not a valid email address."""


@task(
    "mail.send",
    parameters={
        "properties": {
            "to": {
                "oneOf": [
                    ADDRESS,
                    {"type": "array", "items": ADDRESS, "minItems": 1, "maxItems": MAX_RECIPIENTS, "uniqueItems": True},
                ]
            },
            "subject": {"type": "string", "maxLength": 998, "pattern": "^[^\\r\\n]*$"},
            "body": {"type": "string", "maxLength": 100_000},
        },
        "required": ["to", "subject", "body"],
    },
    queue="default",
    max_retries=3,
    retry_intervals=(10, 60, 300),  # SMTP hiccups are usually transient
)
def send(to: str | list[str], subject: str, body: str) -> dict[str, object]:
    """Send one email to one or more recipients from DEFAULT_FROM_EMAIL."""
    recipients = [to] if isinstance(to, str) else list(to)
    for index, address in enumerate(recipients):
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidRecipient(f"recipient {index} ({address!r}) is not a valid email address") from None
    sent = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
    logger.info("mail.sent", extra={"recipients": len(recipients), "messages": sent})
    return {"sent": sent, "to": recipients}
