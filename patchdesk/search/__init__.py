"""Search: lore's query language (``query``) over what each message says (``fields``)."""
