"""What the user gets wrong is one line, never a traceback (issue 17, item 7).

Run through the real entry point (``python -m patchdesk``), as a user
would; each case failed with a traceback, or silently, before."""

import subprocess
import sys

import pytest

from conftest import PG_URL


def pd(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "patchdesk", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.mark.parametrize("db,expected", [
    ("{tmp}/missing/x.db", "no folder"),
    ("{tmp}", "is a folder"),
    ("{tmp}/garbage.db", "not a patchdesk store"),
    ("{tmp}/nothing-yet.db", "no store at"),
    ("postgresql://postgres@127.0.0.1:1/test", "cannot open the store"),
    ("mysql://someone@127.0.0.1/db", "unsupported store"),
    ("foo://bar", "unsupported store"),
])
def test_a_store_that_cannot_be_opened_is_one_line(tmp_path, db, expected):
    (tmp_path / "garbage.db").write_text("not a database\n")
    done = pd("--db", db.format(tmp=tmp_path), "series")
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "nothing-yet.db").exists()  # a read command creates nothing


def test_a_postgresql_url_without_a_database_is_refused():
    server = PG_URL.split("?")[0].rsplit("/", 1)[0]  # the test server, no database named
    done = pd("--db", server, "series")
    assert done.returncode == 2 and "name the database" in done.stderr


def test_out_of_range_ids_and_unwritable_outputs_are_one_line(tmp_path):
    db = str(tmp_path / "s.db")
    assert pd("--db", db, "ingest", str(tmp_path)).returncode == 0  # an empty store
    huge = pd("--db", db, "show", "99999999999999999999999")
    assert huge.returncode == 2 and "out of range" in huge.stderr and "Traceback" not in huge.stderr
