"""The Zuora jobs API client: models, errors and the async HTTP client. No UI imports."""
