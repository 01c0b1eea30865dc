"""Acting on a tenant, UI-free: stop/cancel, submit, the file pre-flight and error export."""
