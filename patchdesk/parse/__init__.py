"""Stage 2: raw bytes -> ParsedMessage (pure functions, no store)."""

from .message import MAX_MESSAGE_BYTES, content_hash, parse

__all__ = ["MAX_MESSAGE_BYTES", "content_hash", "parse"]
