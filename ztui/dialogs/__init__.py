"""Modal dialogs shared by the screens."""
