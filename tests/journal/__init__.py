"""Tests of ztui.journal: the write journal."""
