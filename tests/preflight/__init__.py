"""Tests of ztui.ops.preflight: upload file checks."""
