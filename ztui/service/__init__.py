"""The watcher service: polls the job lists, yields immutable snapshots. No UI imports."""
