"""The Zuora jobs API client: models, errors and the async HTTP client. No UI imports."""

import sys

# httpx imports its command-line tool (`httpx._main`, which loads click, pygments and
# rich's syntax and progress modules) whenever click is installed, and uvicorn installs
# it. ztui never runs that tool; marking the module absent makes `import httpx` skip it
# (httpx then defines a stub `httpx.main`) and saves about a sixth of the import.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
