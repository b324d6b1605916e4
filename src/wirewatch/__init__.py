"""wirewatch: watch news feeds for tracked places and actors, deliver each alert once."""

# The one place the version is written (pyproject.toml reads it). A literal, not
# importlib.metadata, which would add a tenth of a second to every command's start-up.
__version__ = "0.1.0"

PROJECT_URL = "https://github.com/wirewatch/wirewatch"
USER_AGENT = f"wirewatch/{__version__} (+{PROJECT_URL})"
