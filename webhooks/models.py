"""The log of Clerk webhook deliveries, which is also what makes their processing happen once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookEvent(models.Model):
    """One Clerk event, by its Svix message id. Svix redelivers an event with the same id until it gets a 2xx,
    so the row is taken (locked) before processing: an event already processed or ignored is answered 200
    without being processed again, a failed one is processed again.

    The payload is not kept: it holds people's email addresses, which must go when they are deleted; what
    the event was about (`subject`, a Clerk id) is enough to trace it.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "pending"  # only ever seen inside the transaction that processes it
        PROCESSED = "processed", "processed"
        IGNORED = "ignored", "ignored (type not handled)"
        FAILED = "failed", "failed"

    svix_id = models.CharField("svix id", max_length=100, unique=True)
    type = models.CharField(max_length=100)
    subject = models.CharField(max_length=100, blank=True, help_text="The Clerk id the event is about.")
    received_at = models.DateTimeField(default=timezone.now, help_text="First delivery.")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "Clerk webhook event"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["-received_at", "-id"], name="webhook_event_recent")]

    def __str__(self) -> str:
        return f"{self.type} {self.svix_id}"

    @property
    def done(self) -> bool:
        """Processed or deliberately ignored: a redelivery has nothing left to do."""
        return self.outcome in (self.Outcome.PROCESSED, self.Outcome.IGNORED)
