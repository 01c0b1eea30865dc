"""The new-job screen: `NewJobScreen` (`screen`), the file section every file-taking form
shares (`file_section`), the form base (`form`) and one form per family (`forms`)."""

from __future__ import annotations

from ztui.dialogs.confirm import ConfirmDialog
from ztui.screens.new_job.screen import NewJobScreen, read_only_notice

__all__ = ["NewJobScreen", "SubmitConfirmModal", "read_only_notice"]

SubmitConfirmModal = ConfirmDialog
"""The dialog every create ends in (the one `ConfirmDialog` of `ztui.dialogs`)."""
