"""Stage 3: threads from Message-ID / References (pure, no store)."""

from .jwz import Node, ThreadInput, link

__all__ = ["Node", "ThreadInput", "link"]
