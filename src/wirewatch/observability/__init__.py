"""How wirewatch tells you how it is doing: structured logs, Prometheus metrics, HTTP endpoints.

`logging` (structlog with redaction), `metrics` (prometheus-client on a registry of its own) and
`http` (aiohttp: health, readiness, metrics, a read-only API). Import the submodules directly;
this package imports nothing, so that logging never drags in the HTTP server.
"""
