"""POST /api/webhooks/clerk: Clerk's events, delivered by Svix. The Svix signature is the authentication."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from chatsite.errors import PayloadTooLarge, json_error
from chatsite.parsers import read_limited_body

from .handlers import ClerkEvent, InvalidPayload, handle
from .models import WebhookEvent
from .signatures import InvalidSignature, verify_delivery, webhook_verifier

logger = logging.getLogger(__name__)


@csrf_exempt  # a server-to-server call, authenticated by its signature; there is no cookie to protect
def clerk_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the delivery on its raw body, then record and process it once per svix id.

    503 while no secret is configured, 400 for a bad signature or body (nothing changes), 200 once the event
    is processed (or was already, or is of a type we ignore), 500 when processing failed: Svix retries.
    """
    if request.method != "POST":
        return json_error(f'Method "{request.method}" not allowed.', 405, headers={"Allow": "POST"})
    verifier = webhook_verifier()
    if verifier is None:
        logger.error("Refused a Clerk webhook: CLERK_WEBHOOK_SECRET is not set (or not a whsec_ secret)")
        return json_error("Clerk webhooks are not configured on this server.", 503)
    try:
        body = read_limited_body(request, request.META.get("CONTENT_LENGTH"), settings.CLERK_WEBHOOK_MAX_BODY_BYTES)
    except PayloadTooLarge as exc:
        return json_error(str(exc.detail), 413)
    try:
        verify_delivery(verifier, body, request.headers)
    except InvalidSignature as exc:
        logger.warning("Refused a Clerk webhook: %s", exc)
        return json_error(f"Invalid webhook signature ({exc}).", 400)
    svix_id = request.headers["svix-id"]
    if len(svix_id) > WebhookEvent._meta.get_field("svix_id").max_length:
        return json_error("The svix-id header is too long.", 400)
    try:
        event = ClerkEvent.from_body(body)
    except InvalidPayload as exc:
        logger.warning("Refused Clerk webhook %s: %s", svix_id, exc)
        return json_error(str(exc), 400)
    return process(svix_id, event)


def process(svix_id: str, event: ClerkEvent) -> JsonResponse:
    """Record the delivery and do its work in one transaction, holding its log row locked.

    A concurrent delivery of the same id waits on that row (or on its unique svix_id while it is being
    inserted) and then finds it done. The work runs in a savepoint, so a failure rolls back the work but
    not the record of the failure.
    """
    with transaction.atomic():
        record, _ = WebhookEvent.objects.select_for_update().get_or_create(
            svix_id=svix_id, defaults={"type": event.type, "subject": event.subject}
        )
        if record.done:
            logger.info("Clerk webhook %s (%s) was already %s", svix_id, event.type, record.outcome)
            return JsonResponse({"status": "duplicate"})
        record.attempts += 1
        try:
            with transaction.atomic():
                handled = handle(event)
        except InvalidPayload as exc:
            logger.warning("Clerk webhook %s (%s) has invalid data: %s", svix_id, event.type, exc)
            response = json_error(str(exc), 400)
            record.outcome, record.error = WebhookEvent.Outcome.FAILED, str(exc)
        except Exception as exc:
            logger.exception("Clerk webhook %s (%s) failed; Svix will retry it", svix_id, event.type)
            response = json_error("The event could not be processed; it will be retried.", 500)
            record.outcome, record.error = WebhookEvent.Outcome.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        else:
            record.outcome = WebhookEvent.Outcome.PROCESSED if handled else WebhookEvent.Outcome.IGNORED
            record.error = ""
            record.processed_at = timezone.now()
            response = JsonResponse({"status": record.outcome})
        record.save()
    return response
