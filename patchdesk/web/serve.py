"""The ASGI entry point uvicorn imports (in each worker): the store comes
from ``PATCHDESK_DB``, set by ``patchdesk serve``."""

from __future__ import annotations

import os

from .app import create_app

app = create_app(os.environ.get("PATCHDESK_DB"))
