"""The web desk and REST API (FastAPI, server-rendered Jinja2 pages).

At the edge, like the CLI: it reads through ``store`` and writes only the
user's own decisions (state overrides, tree registration), behind a token.
Every mail is attacker-controlled: templates autoescape everything, HTML
mail parts are never rendered as HTML, and a strict Content-Security-Policy
forbids scripts and inline styles in case anything slips through.
"""
