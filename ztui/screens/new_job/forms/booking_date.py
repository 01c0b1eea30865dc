"""Provides `BookingDateForm`: a booking-date backfill has nothing to fill in."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from ztui.api.models import Family
from ztui.ops.submit import BookingDateSpec, JobSpec
from ztui.screens.new_job.form import JobForm


class BookingDateForm(JobForm):
    """Only the send button, and why a lost answer is not simply sent again."""

    FAMILY: ClassVar[Family] = Family.BOOKING_DATE
    TITLE: ClassVar[str] = "New booking-date backfill"
    HELP: ClassVar[str] = (
        "Set each charge's booking date to its original created date. Tenants that joined "
        "after 2022 do not need it."
    )
    PREFIX: ClassVar[str] = "bd"
    FIRST: ClassVar[str] = "#bd-send"

    def compose_fields(self) -> ComposeResult:
        """What the request carries (nothing) and the retry rule."""
        yield Static(
            "The request has no body and no parameters. Zuora takes no idempotency key "
            "for it: after a timeout ztui lists the jobs before it offers to send again.",
            classes="hint",
        )

    def build_spec(self) -> JobSpec | str:
        """Always ready."""
        return BookingDateSpec()
