"""The new-job screen's forms, one module per family, and `FORMS`, the registry.

A family that can be created from ztui has one `JobForm` here; the screen lists the
families in `FORMS` order and knows nothing else about them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ztui.api.models import Family
from ztui.screens.new_job.form import JobForm
from ztui.screens.new_job.forms.aqua import AquaForm
from ztui.screens.new_job.forms.booking_date import BookingDateForm
from ztui.screens.new_job.forms.custom_object import CustomObjectForm
from ztui.screens.new_job.forms.data_backfill import DataBackfillForm
from ztui.screens.new_job.forms.propagation import PropagationForm

__all__ = ["FORMS", "JobForm"]

FORMS: Final[Mapping[Family, type[JobForm]]] = {
    Family.DATA_BACKFILL: DataBackfillForm,
    Family.BOOKING_DATE: BookingDateForm,
    Family.PROPAGATION: PropagationForm,
    Family.CUSTOM_OBJECT: CustomObjectForm,
    Family.AQUA: AquaForm,
}
"""The form of each family that can be created, in the chooser's order."""
