"""App-owned workflows that outlive a screen: stop/cancel, submission, notifications."""
