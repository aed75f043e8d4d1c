"""servestatic: static files for WSGI and ASGI applications, a drop-in for ServeStatic 4.x."""

from servestatic._version import __version__
from servestatic.asgi import ServeStaticASGI
from servestatic.config import ConfigError, Settings
from servestatic.wsgi import ServeStatic

__all__ = ["ConfigError", "ServeStatic", "ServeStaticASGI", "Settings", "__version__"]
