"""Provides `SimProcess`: the simulator in a child `ztui sim` process, as `ztui --demo` runs it.

A child process, not a thread of the app: the simulator's work (answering every poll,
advancing jobs, seeding thousands of them) then runs on its own core instead of taking
turns with the screen for the interpreter lock, and its start-up overlaps the app's.

The child serves on an ephemeral loopback port and prints one JSON line when it listens:
`{"url": ..., "aqua": [...]}` (`aqua`: the AQuA jobs a journal would know, see
`Simulator.recent_aqua_job_ids`). It stops when its standard input closes, so it never
outlives the app, even one killed with SIGKILL, and it runs in its own session, so the
terminal's signals reach only the app.

This module imports nothing heavy: the app can start the child before it loads Textual.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from typing import IO

WATCHED_AQUA = 60
"""How many seeded AQuA jobs the demo follows (AQuA has no list call)."""

_READY_LIMIT = 1 << 20
"""The ready line is far shorter; more than this without a newline is not a simulator."""


class SimProcess:
    """Starts, waits for and stops a `ztui sim --embedded` child on 127.0.0.1 (run as
    `python -m ztui.sim`).

    Example:
        process = SimProcess(jobs=100)
        process.spawn()                # returns at once
        ...                            # load the UI meanwhile
        url = process.wait_ready()     # blocks until the child listens
        ...
        process.stop()
    """

    def __init__(
        self,
        *,
        jobs: int = 60,
        seed: int = 1,
        speed: float = 1.0,
        quirks: bool = False,
        running: int | None = None,
    ) -> None:
        """Describe the child; nothing runs until `spawn()`."""
        self.quirks = quirks
        self.running = running
        self.jobs = jobs
        self.seed = seed
        self.speed = speed
        self.base_url = ""
        self.aqua_watch: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._buffer = b""
        self._stopping = False

    @property
    def command(self) -> list[str]:
        """The child's command line."""
        return [
            sys.executable,
            "-P",  # the installed ztui, not a `ztui` folder in the current directory
            "-m",
            "ztui.sim",  # `ztui sim`, without loading the app's command line
            "--embedded",
            "--port",
            "0",
            "--sim-jobs",
            str(self.jobs),
            "--sim-seed",
            str(self.seed),
            "--sim-speed",
            repr(self.speed),
            *(["--quirks"] if self.quirks else []),
            *(["--sim-running", str(self.running)] if self.running is not None else []),
        ]

    @property
    def pid(self) -> int | None:
        """The child's process id, once spawned."""
        return self._proc.pid if self._proc is not None else None

    def spawn(self) -> SimProcess:
        """Start the child and return at once (call `wait_ready` for its URL).

        Raises:
            RuntimeError: the interpreter could not be started.
        """
        if self._proc is not None:
            return self
        # A file, not a pipe: nobody reads it unless the child fails, and a full pipe
        # would block the child.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        try:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                start_new_session=True,
            )
        except OSError as exc:
            self._stderr.close()
            self._stderr = None
            raise RuntimeError(f"cannot start {sys.executable}: {exc.strerror or exc}") from None
        return self

    def wait_ready(self, timeout: float = 20.0) -> str:
        """Block until the child listens; return its base URL.

        Raises:
            RuntimeError: the child exited, printed something else, or took longer than
                `timeout` seconds. The message quotes the child's last error line. The
                child is stopped.
        """
        if self.base_url:
            return self.base_url
        proc = self.spawn()._proc
        if proc is None or proc.stdout is None:
            raise RuntimeError("the simulator was stopped")
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.stop()
                    raise RuntimeError(f"the simulator did not start within {timeout:g} s")
                if not selector.select(left):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    code = proc.wait()
                    reason = self._last_error_line() or f"exit code {code}"
                    self.stop()
                    raise RuntimeError(f"the simulator exited at start-up: {reason}")
                self._buffer += chunk
                if len(self._buffer) > _READY_LIMIT:
                    self.stop()
                    raise RuntimeError("the simulator printed no ready line")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            ready = json.loads(line)
            url = ready["url"]
            aqua = ready.get("aqua", [])
            if not isinstance(url, str) or not isinstance(aqua, list):
                raise TypeError("url must be a string and aqua a list")
        except (ValueError, TypeError, KeyError) as exc:
            self.stop()
            raise RuntimeError(f"the simulator's ready line is not understood: {exc}") from None
        self.base_url = url
        self.aqua_watch = [str(job_id) for job_id in aqua]
        return url

    def recent_aqua_job_ids(self, limit: int) -> list[str]:
        """Up to `limit` of the AQuA jobs the child named when it became ready."""
        return self.aqua_watch[:limit]

    def wait_for_exit(self) -> str | None:
        """Block until the child exits; return why ("exit code 1", "killed by SIGKILL"),
        or None when it was `stop()` that ended it (or it never ran)."""
        proc = self._proc
        if proc is None:
            return None
        code = proc.wait()
        if self._stopping:
            return None
        return _describe_exit(code)

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the child: close its input, then SIGTERM, then SIGKILL; safe to call twice.

        A child that never said it was ready (the app gave up before it needed it) has
        nothing to finish: it gets SIGTERM at once.
        """
        self._stopping = True
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
            if not self.base_url and proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout / 2)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout / 2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _last_error_line(self) -> str:
        """The last non-empty line the child wrote to standard error, or ''."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read()[-4000:].decode("utf-8", "replace")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _describe_exit(code: int) -> str:
    """`exit code 1`, or `killed by SIGKILL` for a negative (signal) return code."""
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"
