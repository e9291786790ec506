"""Who a replier is for the files a patch touches: maintainer, reviewer,
bystander, the patch's author, or unknown.

``unknown`` means no MAINTAINERS file names anybody for those files; then
every replier's NAK or "applied" decides (there is nobody to prefer), as
on a small project without a MAINTAINERS file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .maintainers import MaintainerIndex, parse_maintainers

#: The kernel's catch-all section (``F: *``): everybody's files, nobody's area.
CATCH_ALL = ("THE REST",)


class RoleBook:
    """MAINTAINERS knowledge for the review stage (possibly empty)."""

    def __init__(self, index: MaintainerIndex | None) -> None:
        self.index = index
        self._cache: dict[tuple[str, ...], dict[str, str]] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "RoleBook":
        sections = [s for text in texts for s in parse_maintainers(text)]
        return cls(MaintainerIndex(sections) if sections else None)

    def people(self, paths: tuple[str, ...]) -> dict[str, str]:
        """email -> strongest role for these files ({} when nobody is known)."""
        key = tuple(sorted(paths))
        found = self._cache.get(key)
        if found is None:
            found = {}
            if self.index is not None and paths:
                for role in self.index.roles_for(paths):
                    if role.section in CATCH_ALL:
                        continue
                    email = role.email.lower()
                    if found.get(email) != "maintainer":
                        found[email] = role.role
            if len(self._cache) > 50000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def role_for(self, paths: tuple[str, ...]) -> Callable[[str], str]:
        people = self.people(paths)

        def role_of(email: str) -> str:
            if not people:
                return "unknown"
            return people.get(email.lower(), "bystander")
        return role_of
