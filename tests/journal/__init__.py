"""Tests of ztui.store.journal: the write journal."""
