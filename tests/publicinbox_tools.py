"""Build REAL public-inbox v2 archives in tests, using Debian's ``public-inbox``.

CI needs ``apt-get install public-inbox`` (Debian 12 ships 1.9.0).  That one
package pulls in everything used here: ``git``, ``libdbd-sqlite3-perl``
(msgmap/over SQLite DBs, mandatory for v2), ``libsearch-xapian-perl`` and
``xapian-tools``.  ``spamc``/SpamAssassin is NOT needed: it is switched off in
the private config written below.  No network access is needed.

Everything runs with a private environment rooted under the caller's
directory, so neither the real ``$HOME`` nor ``~/.public-inbox`` nor the
user's / system git config is read or written:

* ``PI_CONFIG``     -> ``<root>/.pi-<name>/config`` (one config per inbox, so
                       ``public-inbox-learn rm --all`` only touches this inbox)
* ``HOME``          -> ``<root>/.pi-<name>/home``
* ``PI_EMERGENCY``  -> ``<root>/.pi-<name>/emergency`` (Maildir where -mda
                       parks mail it could not deliver; checked after each add)
* ``GIT_CONFIG_NOSYSTEM=1`` and every inherited ``GIT_*`` variable dropped
  (e.g. ``GIT_DIR`` when pytest runs from a git hook), ``LC_ALL=C``.

Config written into that file (besides what ``public-inbox-init`` writes):

* ``publicinboxmda.spamcheck = none``  -- otherwise -mda runs ``spamc``, which
  is not installed: "spamc: command not found", exit 2, message left in the
  emergency Maildir.
* ``publicinbox.<name>.filter = PublicInbox::Filter::Mirror`` -- otherwise
  -mda uses the strict ``PublicInbox::Filter::Base`` which REJECTS
  text/html, image/*, audio/*, video/*, application/vnd.* parts and
  attachments named *.exe/*.zip/... .
* ``-L basic`` index level (SQLite only, no Xapian term indexing: faster; the
  git data is identical).

Delivery uses ``public-inbox-mda --no-precheck`` with ``ORIGINAL_RECIPIENT``
set to the inbox address.  ``--no-precheck`` disables the "list address must
be in To:/Cc:", Message-ID/From/Subject/Date sanity checks (a failed check
makes -mda exit 0 without importing anything, leaving the message in the
emergency Maildir).  Since -mda and -learn exit 0 in several no-op cases,
``add``/``remove`` verify that exactly one new commit with the expected
tree (``m`` / ``d``) appeared and nothing new landed in the emergency
Maildir, and raise :class:`PublicInboxError` (with captured stderr) if not.

How public-inbox stores what we deliver (verified on 1.9.0, see
tests/test_publicinbox_tools.py and the sources PublicInbox/{MDA,Import}.pm
and script public-inbox-mda):

* The ``m`` blob is the delivered bytes with these edits only:
  - a leading mbox ``From `` line (and blank lines before it) is stripped;
  - if there is no ``List-Id:`` header, ``List-Id: <ADDRESS with @ -> .>``
    is appended as the LAST header line (for address test@example.invalid:
    ``List-Id: <test.example.invalid>``), using the message's own line ending;
  - these headers are deleted: Bytes, Lines, Content-Length, Status,
    X-Status, Delivered-To, X-Original-To, Approved, Approve, X-Approved,
    X-Approve, Urgent, Return-Receipt-To, Disposition-Notification-To,
    X-Confirm-Reading-To, X-PMRQC;
  - a message without Message-ID gets ``Message-ID: <DATE.HASH@z>``
    appended after the List-Id; a message whose Message-ID is already in the
    inbox with *different* content gets the generated id appended too, and
    its existing ``Message-Id:`` line is renamed in place to
    ``Message-ID:``; identical content with
    a known Message-ID is a duplicate: -mda prints "CONFLICT: Message-ID: <x>
    exists", exits 0, stores nothing (``add`` raises).
  Everything else (header order, folding, CRLF, 8-bit bytes, body bytes,
  missing final newline, body ``>From`` lines) is untouched.
  ``expected_blob()`` below implements exactly these rules for the ordinary
  case (one Message-ID, not yet in the inbox).
* ``remove`` (``public-inbox-learn rm``) looks the message up by Message-ID
  and content hash (so the originally delivered bytes, with or without the
  From_ line / List-Id, match) and commits the *already stored* blob as ``d``
  (the tree then has only ``d``, no ``m``), so the ``d`` blob has the SAME
  object id as the earlier ``m`` blob -- no new blob is created.  Commit
  subject: ``rm``; author and committer ``<inbox name> <inbox address>``,
  dated "now".  A message that is not found: exit 0, no commit (``remove``
  raises).
* Every commit's tree holds exactly one file, ``m`` or ``d``.  With
  ``git log --raw`` (rename detection on by default!) a removal whose ``d``
  resembles the previous ``m`` shows as ``R063 m d`` and an add right after a
  removal as ``R062 d m``; with ``--no-renames`` these read ``A d``+``D m``
  and ``D d``+``A m``.  Readers should pass ``--no-renames``.
* Add commits: author = From: name/address, author date = Date: header (an
  unparseable Date: gives the import time), committer = ``<inbox name>
  <inbox address>``, commit subject = Subject:.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
from typing import Iterable, Mapping, Sequence

__all__ = [
    "PublicInbox",
    "PublicInboxError",
    "expected_blob",
    "git",
    "have_public_inbox",
    "make_v2_inbox",
]

_TIMEOUT = 300  # seconds per subprocess; generous, CI machines can be slow

_REQUIRED_TOOLS = ("public-inbox-init", "public-inbox-mda", "public-inbox-learn", "git")

# Headers public-inbox deletes on import (PublicInbox::Import::UNWANTED_HEADERS
# + PublicInbox::MDA::BAD_HEADERS), lower-cased.
DROPPED_HEADERS = frozenset(
    """bytes lines content-length status x-status delivered-to x-original-to
    approved approve x-approved x-approve urgent return-receipt-to
    disposition-notification-to x-confirm-reading-to x-pmrqc""".split()
)


class PublicInboxError(subprocess.CalledProcessError):
    """A public-inbox/git command failed, or did not do what it should have.

    ``str()`` includes the command, exit status, stdout and stderr.
    """

    def __init__(self, returncode, cmd, output=None, stderr=None, reason=""):
        super().__init__(returncode, cmd, output, stderr)
        self.reason = reason

    def __str__(self) -> str:
        def dec(b):
            if b is None:
                return ""
            if isinstance(b, bytes):
                return b.decode("utf-8", "replace")
            return str(b)

        head = self.reason or f"command exited with status {self.returncode}"
        return (
            f"{head}\n  command: {self.cmd!r}\n  exit status: {self.returncode}\n"
            f"  stdout: {dec(self.output)}\n  stderr: {dec(self.stderr)}"
        )


def have_public_inbox() -> bool:
    """True if the public-inbox command line tools (and git) are on PATH."""
    return all(shutil.which(t) for t in _REQUIRED_TOOLS)


def _run(
    args: Sequence[str | os.PathLike],
    *,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> subprocess.CompletedProcess:
    args = [os.fspath(a) for a in args]
    try:
        return subprocess.run(
            args,
            input=input,
            env=dict(env) if env is not None else None,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            check=True,
            timeout=_TIMEOUT,
        )
    except subprocess.CalledProcessError as e:
        raise PublicInboxError(e.returncode, e.cmd, e.output, e.stderr) from None
    except subprocess.TimeoutExpired as e:
        raise PublicInboxError(
            -1, e.cmd, e.output, e.stderr, reason=f"command timed out after {_TIMEOUT}s"
        ) from None
    except FileNotFoundError as e:
        raise PublicInboxError(
            127, args, None, str(e).encode(),
            reason=f"{args[0]} not found: install the Debian 'public-inbox' package",
        ) from None


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for k in ("PI_CONFIG", "PI_EMERGENCY", "ORIGINAL_RECIPIENT", "PI_DIR"):
        env.pop(k, None)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        LC_ALL="C",
        LANG="C",
        TZ="UTC",
    )
    env.update(extra)
    return env


def git(git_dir: os.PathLike | str, *args: str) -> bytes:
    """Run ``git --git-dir=GIT_DIR ARGS...`` in a neutral env; return stdout bytes."""
    env = _clean_env({"GIT_CONFIG_GLOBAL": os.devnull})
    return _run(["git", f"--git-dir={os.fspath(git_dir)}", *args], env=env).stdout


def expected_blob(raw: bytes, address: str) -> bytes:
    """What public-inbox-mda stores in ``m`` for *raw* delivered to *address*.

    Implements the rules documented in the module docstring for ordinary
    messages: exactly one Message-ID, not yet in the inbox (the generated
    extra Message-ID for missing/conflicting ids is not modelled).
    """
    raw = re.sub(rb"\A[\r\n]*From [^\r\n]*\r?\n", b"", raw, count=1)
    m = re.search(rb"\n(\r?\n)", raw)
    if m:  # head keeps the last header line's EOL; rest starts with blank line
        head, rest = raw[: m.start() + 1], raw[m.start() + 1:]
    else:
        head, rest = raw, b""
    eol = b"\r\n" if head.endswith(b"\r\n") or (not head and rest.startswith(b"\r")) else b"\n"
    fields: list[list[bytes]] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    kept = []
    has_list_id = False
    for f in fields:
        name = f[0].split(b":", 1)[0].strip().lower().decode("latin-1")
        if name in DROPPED_HEADERS:
            continue
        if name == "list-id":
            has_list_id = True
        kept.append(b"".join(f))
    new_head = b"".join(kept)
    if not has_list_id:
        if new_head and not new_head.endswith(b"\n"):
            new_head += eol
        new_head += b"List-Id: <" + address.replace("@", ".").encode() + b">" + eol
    return new_head + rest


class PublicInbox:
    """A v2 public-inbox created by :func:`make_v2_inbox`."""

    def __init__(self, path: pathlib.Path, name: str, address: str, private_dir: pathlib.Path):
        self._path = pathlib.Path(path)
        self.name = name
        self.address = address
        self.private_dir = pathlib.Path(private_dir)
        self.config_file = self.private_dir / "config"
        self.home = self.private_dir / "home"
        self.emergency = self.private_dir / "emergency"

    # -- properties -----------------------------------------------------
    @property
    def path(self) -> pathlib.Path:
        """The inbox directory (contains ``git/0.git``, ``msgmap.sqlite3``...)."""
        return self._path

    @property
    def epochs(self) -> list[pathlib.Path]:
        """Epoch git dirs, ``git/0.git``, ``git/1.git``..., in numeric order."""
        gdir = self._path / "git"
        found = []
        if gdir.is_dir():
            for p in gdir.iterdir():
                m = re.fullmatch(r"(\d+)\.git", p.name)
                if m and p.is_dir():
                    found.append((int(m.group(1)), p))
        return [p for _, p in sorted(found)]

    @property
    def env(self) -> dict[str, str]:
        """Environment for running public-inbox tools against this inbox."""
        return _clean_env(
            {
                "HOME": str(self.home),
                "PI_CONFIG": str(self.config_file),
                "PI_EMERGENCY": str(self.emergency),
            }
        )

    def expected_blob(self, raw: bytes) -> bytes:
        return expected_blob(raw, self.address)

    # -- internals ------------------------------------------------------
    def _tips(self) -> dict[pathlib.Path, str | None]:
        tips: dict[pathlib.Path, str | None] = {}
        for e in self.epochs:
            out = git(e, "for-each-ref", "--format=%(objectname)", "refs/heads/").split()
            if len(out) > 1:
                raise PublicInboxError(0, ["git", "for-each-ref"], b"\n".join(out), b"",
                                       reason=f"{e}: unexpected multiple branches")
            tips[e] = out[0].decode() if out else None
        return tips

    def _new_commits(self, before: dict) -> list[tuple[pathlib.Path, str]]:
        new = []
        for e, tip in self._tips().items():
            if tip is None or tip == before.get(e):
                continue
            revs = ["rev-list", "--reverse", tip]
            if before.get(e):
                revs.append("^" + before[e])
            for c in git(e, *revs).split():
                new.append((e, c.decode()))
        return new

    def _emergency_files(self) -> list[pathlib.Path]:
        out = []
        for sub in ("new", "cur", "tmp"):
            d = self.emergency / sub
            if d.is_dir():
                out.extend(sorted(d.iterdir()))
        return out

    def _expect_one_commit(self, before, em_before, proc, cmd, want_path: str) -> str:
        new = self._new_commits(before)
        leftovers = [p for p in self._emergency_files() if p not in em_before]
        problem = None
        if len(new) != 1:
            problem = f"expected exactly 1 new commit, got {len(new)}"
        else:
            e, c = new[0]
            tree = git(e, "ls-tree", "--name-only", c).split()
            if tree != [want_path.encode()]:
                problem = f"new commit {c} in {e.name} has tree {tree!r}, expected [{want_path!r}]"
        if problem is None and leftovers:
            problem = f"message(s) left in emergency Maildir: {leftovers}"
        if problem:
            raise PublicInboxError(proc.returncode, cmd, proc.stdout, proc.stderr,
                                   reason=f"{cmd[0]} did not work: {problem}")
        return new[0][1]

    # -- public API -----------------------------------------------------
    def add(self, raw: bytes) -> str:
        """Deliver one message with public-inbox-mda; return the new commit id.

        Raises :class:`PublicInboxError` unless exactly one commit with an
        ``m`` blob was added (e.g. duplicates, filter rejects, spam-check
        failures all raise).
        """
        if not isinstance(raw, (bytes, bytearray)):
            raise TypeError("raw must be bytes")
        before, em_before = self._tips(), set(self._emergency_files())
        cmd = ["public-inbox-mda", "--no-precheck"]
        env = self.env
        env["ORIGINAL_RECIPIENT"] = self.address
        proc = _run(cmd, env=env, input=bytes(raw))
        return self._expect_one_commit(before, em_before, proc, cmd, "m")

    def add_many(self, raws: Iterable[bytes]) -> list[str]:
        """Deliver several messages in order; return the new commit ids.

        Debian's public-inbox 1.9.0 ships no batch importer for v2
        (public-inbox-import is not installed; -watch is a daemon), so this
        runs public-inbox-mda once per message (~0.15-0.3 s each).
        """
        return [self.add(r) for r in raws]

    def remove(self, raw: bytes) -> str:
        """Remove a message with ``public-inbox-learn rm --all``.

        The message is matched by Message-ID + content hash (so the bytes
        originally given to :meth:`add` work; the List-Id that -mda added
        does not matter).  ``--all`` means "every inbox in PI_CONFIG", which
        is just this one, so To:/Cc:/List-Id need not name the inbox.
        Returns the new commit id, whose tree holds only ``d``.
        """
        if not isinstance(raw, (bytes, bytearray)):
            raise TypeError("raw must be bytes")
        before, em_before = self._tips(), set(self._emergency_files())
        cmd = ["public-inbox-learn", "rm", "--all"]
        proc = _run(cmd, env=self.env, input=bytes(raw))
        return self._expect_one_commit(before, em_before, proc, cmd, "d")

    def __repr__(self) -> str:
        return f"PublicInbox(path={str(self._path)!r}, name={self.name!r})"


def make_v2_inbox(root: pathlib.Path, name: str = "test") -> PublicInbox:
    """Create an empty v2 inbox at ``root/name`` with a private config under root."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"unsuitable inbox name: {name!r}")
    root = pathlib.Path(root).resolve()
    inbox_dir = root / name
    private = root / f".pi-{name}"
    if inbox_dir.exists() or private.exists():
        raise FileExistsError(f"{inbox_dir} or {private} already exists")
    address = f"{name}@example.invalid"
    ibx = PublicInbox(inbox_dir, name, address, private)
    ibx.home.mkdir(parents=True)
    for sub in ("new", "cur", "tmp"):
        (ibx.emergency / sub).mkdir(parents=True)
    ibx.config_file.touch()
    env = ibx.env
    _run(
        [
            "public-inbox-init", "-V2", "-L", "basic",
            "-c", "filter=PublicInbox::Filter::Mirror",
            name, str(inbox_dir), f"http://example.invalid/{name}", address,
        ],
        env=env,
    )
    _run(["git", "config", "-f", str(ibx.config_file), "publicinboxmda.spamcheck", "none"], env=env)
    if not (inbox_dir / "git" / "0.git").is_dir():
        raise PublicInboxError(0, ["public-inbox-init"], b"", b"",
                               reason=f"public-inbox-init did not create {inbox_dir}/git/0.git")
    return ibx
