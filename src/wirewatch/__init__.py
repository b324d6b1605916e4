"""wirewatch: watch news feeds for tracked places and actors, deliver each alert once."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wirewatch")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0"

PROJECT_URL = "https://github.com/wirewatch/wirewatch"
USER_AGENT = f"wirewatch/{__version__} (+{PROJECT_URL})"
