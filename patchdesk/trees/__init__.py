"""Stage 7: git trees. What the maintainers' trees really carry: commits
read from git (``gitlog``), and which patch each commit applied (``applied``,
pure)."""
