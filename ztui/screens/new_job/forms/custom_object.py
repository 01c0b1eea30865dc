"""Provides `CustomObjectForm`: object, namespace and operation, then a CSV or a filter.

Create and update send a CSV (checked for the operation: update needs an id column);
delete sends no file but an optional filter. The tenant's running custom-object jobs
are limited (`CreateFacts.max_active`): the form shows the slots in use, and the
submissions queued locally until one frees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from ztui.api.models import Family
from ztui.families import family_def
from ztui.host import host
from ztui.ops.preflight import CheckTarget
from ztui.ops.submit import CustomObjectSpec, JobSpec, active_custom_object_jobs
from ztui.screens.new_job.file_section import FileForm

if TYPE_CHECKING:
    from ztui.service.snapshot import JobSnapshot


class CustomObjectForm(FileForm):
    """A custom-object bulk job: object, namespace, operation, file or filter."""

    FAMILY: ClassVar[Family] = Family.CUSTOM_OBJECT
    TITLE: ClassVar[str] = "New custom-object bulk job"
    HELP: ClassVar[str] = (
        "Create, update or delete custom-object records in bulk (a CSV for create/update). "
        "At most 5 such jobs run at a time."
    )
    PREFIX: ClassVar[str] = "co"
    FIRST: ClassVar[str] = "#co-object"

    def compose_fields(self) -> ComposeResult:
        """Slots line, object, namespace, operation, then the filter or the file section."""
        yield Static("", id="co-slots", classes="hint")
        with Horizontal(classes="field"):
            yield Label("Object", classes="field-label")
            yield Input(placeholder="object API name, e.g. vehicle", id="co-object")
        with Horizontal(classes="field"):
            yield Label("Namespace", classes="field-label")
            yield Select(
                [("default (custom objects)", "default"), ("com_zuora", "com_zuora")],
                value="default",
                allow_blank=False,
                id="co-namespace",
            )
        with Horizontal(classes="field"):
            yield Label("Operation", classes="field-label")
            yield Select(
                [("create", "create"), ("update", "update"), ("delete", "delete")],
                value="create",
                allow_blank=False,
                id="co-operation",
            )
        with Vertical(id="co-filter"):
            yield Static(
                "Delete jobs take no file. Optional filter (records matching it are "
                "deleted; none deletes every record of the object):",
                classes="hint",
            )
            with Horizontal(classes="field"):
                yield Input(placeholder="field, e.g. CreatedDate", id="co-filter-field")
                yield Select(
                    [(op, op) for op in ("EQ", "GT", "LT", "GE", "LE")],
                    value="LT",
                    allow_blank=False,
                    id="co-filter-op",
                )
                yield Input(placeholder="value", id="co-filter-value")
        with Vertical(id="co-file-section"):
            yield from self.compose_file_section()

    def setup(self) -> None:
        """The operation's part (filter or file), the slots, and follow the board."""
        super().setup()
        self._update_operation()
        self._update_slots()
        self.watch(self.app, "jobs", self._jobs_changed, init=False)

    # ------------------------------------------------------------------ operation

    @property
    def operation(self) -> str:
        """create, update or delete."""
        value = self.query_one("#co-operation", Select).value
        return value if isinstance(value, str) else "create"

    @property
    def takes_file(self) -> bool:
        """Create and update send a file; delete does not."""
        return self.operation != "delete"

    def check_target(self) -> CheckTarget:
        """The rules of the chosen operation (update needs an id column)."""
        return CheckTarget("custom_object", operation=self.operation)

    @on(Select.Changed, "#co-operation")
    def _operation_changed(self) -> None:
        self._update_operation()
        if self.choice is not None and self.takes_file:
            self.recheck(self.choice.path)

    def _update_operation(self) -> None:
        delete = not self.takes_file
        self.query_one("#co-filter").display = delete
        self.query_one("#co-file-section").display = not delete
        self.screen.refresh_bindings()

    # ------------------------------------------------------------------ slots

    def _jobs_changed(self, snapshot: JobSnapshot | None) -> None:
        self._update_slots()

    def _update_slots(self) -> None:
        app = host(self)
        snapshot = app.jobs
        queued = len(app.submissions.queued)
        limit = family_def(self.FAMILY).create.max_active
        if snapshot is None:
            used_text = "not known yet"
        else:
            used = active_custom_object_jobs(list(snapshot.jobs.values()))
            used_text = f"{used} of {limit}" + (
                " (all taken)" if limit is not None and used >= limit else ""
            )
        text = f"Custom-object job slots in use: {used_text}"
        if queued:
            text += f" · {queued} submit(s) queued here until a slot frees"
        self.query_one("#co-slots", Static).update(text)

    # ------------------------------------------------------------------ the spec

    def build_spec(self) -> JobSpec | str:
        """Object, namespace, operation, and the checked file or the filter."""
        obj = self.query_one("#co-object", Input).value.strip()
        if not obj:
            return "Type the object's API name (e.g. vehicle)."
        if not obj.replace("_", "").isalnum():
            return f"{obj!r} is not an API name (letters, digits and _ only)."
        namespace = str(self.query_one("#co-namespace", Select).value)
        if namespace == "com_zuora" and obj != "SavedQuery":
            return "The com_zuora namespace supports only the SavedQuery object."
        operation = self.operation
        if operation == "delete":
            field = self.query_one("#co-filter-field", Input).value.strip()
            value = self.query_one("#co-filter-value", Input).value.strip()
            flt: dict[str, Any] | None = None
            if field or value:
                if not (field and value):
                    return "A filter needs both a field and a value (or leave both empty)."
                op = str(self.query_one("#co-filter-op", Select).value)
                flt = {"conditions": [{"field": field, "operator": op, "value": value}]}
            return CustomObjectSpec(obj, namespace, operation, None, flt)
        upload = self.checked_upload()
        if isinstance(upload, str):
            return upload
        return CustomObjectSpec(obj, namespace, operation, upload)
