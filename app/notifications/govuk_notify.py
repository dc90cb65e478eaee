"""GOV.UK Notify: an e-mail from one of the service's templates, filled with the message's fields."""
from __future__ import annotations

from notifications_python_client.notifications import NotificationsAPIClient

from app.core.config import MailSettings
from app.notifications.email import ChannelNotConfigured


def send_notify_email(settings: MailSettings, *, to: str, template_id: str, fields: dict[str, str],
                      reference: str) -> str:
    """Send one message; returns Notify's id for it. ``reference`` is our message id (no personal data)."""
    if not settings.notify_api_key:
        raise ChannelNotConfigured("MASH_NOTIFY_API_KEY is not set")
    client = NotificationsAPIClient(settings.notify_api_key, base_url=settings.notify_base_url, timeout=30)
    response = client.send_email_notification(email_address=to, template_id=template_id,
                                              personalisation=fields or None, reference=reference)
    return str(response.get("id", ""))
