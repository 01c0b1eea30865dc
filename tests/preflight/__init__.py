"""Tests of ztui.preflight: upload file checks."""
