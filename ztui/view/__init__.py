"""Provides the UI-free parts of the job board that the headless commands share.

`ztui.view.columns` holds the one column model: header, cell text, style name, widths,
priority and alignment of every column, measured in terminal cells. The board
(`ztui.widgets.job_table`) draws it with Textual; `ztui jobs` prints it as plain text.
Nothing here imports Textual.
"""
