"""DKIM attestation (issue 19 item 5) with an RSA key made here by openssl.

Good signature, tampered body, tampered header, missing key, no signature,
a patatt header; then the whole path: a signed patch mail (git
format-patch) ingested, ``patchdesk attest --keys``, ``show`` and the
series page, and ``take`` warning before it applies a mail whose
signature fails.
"""

import base64
import json
import subprocess

import dkim
import pytest
from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.parse.attest import attest, summary

runner = CliRunner()
HEADERS = [b"from", b"to", b"subject", b"message-id", b"date"]


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """(private PEM, the TXT record publishing the public key)."""
    root = tmp_path_factory.mktemp("dkim")
    subprocess.run(["openssl", "genrsa", "-out", str(root / "k.pem"), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(root / "k.pem"), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return (root / "k.pem").read_bytes(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def sign(message: bytes, private: bytes, domain: bytes = b"example.org") -> bytes:
    crlf = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return (dkim.sign(crlf, b"sel", domain, private, include_headers=HEADERS) + crlf).replace(b"\r\n", b"\n")


MAIL = (b"From: Ada Lovelace <ada@example.org>\nTo: frob-devel@lists.example.org\n"
        b"Subject: [PATCH] frob: raise the limit\nMessage-Id: <p1@example.org>\n"
        b"Date: Mon, 02 Nov 2026 10:00:00 +0000\n\nRaise it.\n")


def test_good_tampered_and_missing(key):
    private, record = key
    signed = sign(MAIL, private)

    def lookup(name):
        return record if name.rstrip(b".") == b"sel._domainkey.example.org" else None
    assert [(r.status, r.domain) for r in attest(signed, lookup)] == [("pass", "example.org")]
    body = attest(signed.replace(b"Raise it.", b"Raise it more."), lookup)
    assert [r.status for r in body] == ["fail"] and "body changed" in body[0].reason
    header = attest(signed.replace(b"raise the limit", b"lower the limit"), lookup)
    assert [r.status for r in header] == ["fail"] and "header" in header[0].reason
    missing = attest(signed, lambda name: None)
    assert [r.status for r in missing] == ["unknown"] and "no key published" in missing[0].reason
    assert [r.status for r in attest(MAIL, lookup)] == ["none"]
    assert summary(body + attest(signed, lookup)) == "fail" and summary(missing) == "unknown"
    # another domain's key does not vouch for this one
    wrong = sign(MAIL, private, domain=b"evil.example.net")
    assert [r.status for r in attest(wrong, lambda n: record if b"evil" in n else None)] == ["pass"]
    assert attest(wrong, lambda n: record if b"evil" in n else None)[0].domain == "evil.example.net"
    patatt = attest(b"X-Developer-Signature: v=1; a=ed25519-sha256; t=1; l=2; i=ada@example.org; h=x; b=y\n"
                    + MAIL, lookup)
    assert [(r.method, r.status, r.domain) for r in patatt] == [("dkim", "none", ""),
                                                                ("patatt", "unknown", "ada@example.org")]
    assert "give a keyring" in patatt[1].reason


PATCH_MAIL = (b"From: Ada Lovelace <ada@example.org>\nTo: frob-devel@lists.example.org\n"
              b"Subject: [PATCH] frob: raise the limit\nMessage-Id: <pa1@example.org>\n"
              b"Date: Mon, 02 Nov 2026 10:00:00 +0000\n\nRaise it.\n\nSigned-off-by: Ada Lovelace <ada@example.org>\n"
              b"---\n frob.c | 2 +-\n\ndiff --git a/frob.c b/frob.c\n--- a/frob.c\n+++ b/frob.c\n@@ -1 +1 @@\n"
              b"-int limit = 4;\n+int limit = 8;\n")


def test_patatt_developer_signatures_with_a_keyring(tmp_path):
    """A key made here (ed25519), the message signed by patatt itself, checked against a keyring."""
    import patatt
    from nacl.signing import SigningKey
    key = SigningKey.generate()
    signed = patatt.sign_message(PATCH_MAIL, "ed25519", base64.b64encode(bytes(key)), "ada@example.org", "default")
    keyring = tmp_path / "keys"
    where = keyring / "ed25519" / "example.org" / "ada"
    where.mkdir(parents=True)
    (where / "default").write_bytes(base64.b64encode(key.verify_key.encode()))

    def patatt_of(raw, rings=(str(keyring),)):
        return [(r.status, r.domain) for r in attest(raw, lambda name: None, rings) if r.method == "patatt"]
    assert patatt_of(signed) == [("pass", "ada@example.org")]
    assert patatt_of(signed.replace(b"int limit = 8;", b"int limit = 9;"))[0][0] == "fail"
    assert patatt_of(signed.replace(b"raise the limit", b"lower the limit"))[0][0] == "fail"
    other = tmp_path / "empty"
    other.mkdir()
    assert patatt_of(signed, (str(other),))[0][0] == "unknown"
    assert summary(attest(signed, lambda name: None, (str(keyring),))) == "pass"


def git(repo, *args, stdin=None):
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True).stdout


def test_attest_show_and_take_warn_on_a_failed_signature(key, tmp_path):
    private, record = key
    repo = tmp_path / "frob"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ada@example.org")
    git(repo, "config", "user.name", "Ada Lovelace")
    (repo / "frob.c").write_text("".join(f"int limit_{i} = {i};\n" for i in range(20)))
    git(repo, "add", "frob.c")
    git(repo, "commit", "-q", "-m", "frob 0.1")
    mails = []
    for n, line, new in ((1, 1, "40"), (2, 15, "50")):
        git(repo, "checkout", "-q", "-B", f"p{n}", "main")
        (repo / "frob.c").write_text((repo / "frob.c").read_text().replace(f"limit_{line} = {line};",
                                                                           f"limit_{line} = {new};"))
        git(repo, "commit", "-q", "-am", f"frob: raise limit {n}\n\nSigned-off-by: Ada Lovelace <ada@example.org>")
        text = git(repo, "format-patch", "-1", "--stdout").decode()
        head, body = text.split("\n\n", 1)
        head = "\n".join(line for line in head.split("\n")[1:] if not line.startswith("Date:"))
        mail = (f"{head}\nTo: frob-devel@lists.example.org\nMessage-Id: <p{n}@example.org>\n"
                f"Date: Mon, 0{n + 1} Nov 2026 10:00:00 +0000\n\n{body}").encode()
        signed = sign(mail, private)
        if n == 2:  # a relay changed the diff after it was signed
            signed = signed.replace(b"limit_15 = 50", b"limit_15 = 99")
        mails.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + signed + b"\n")
    git(repo, "checkout", "-q", "main")
    (tmp_path / "list.mbox").write_bytes(b"".join(mails))
    (tmp_path / "keys").write_text("# name TXT\nsel._domainkey.example.org " + record.decode() + "\n")
    db = str(tmp_path / "pd.db")

    def run(*args, code=0):
        result = runner.invoke(app, ["--db", db, *args])
        assert result.exit_code == code, result.output
        return result.output
    run("ingest", str(tmp_path / "list.mbox"))
    run("tree", "add", "frob", str(repo), "--branch", "main")
    good = json.loads(run("attest", "p1@example.org", "--keys", str(tmp_path / "keys"), "--json"))
    assert [r["status"] for r in good["messages"]["p1@example.org"]] == ["pass"]
    bad = run("attest", "p2@example.org", "--keys", str(tmp_path / "keys"), code=1)
    assert "dkim fail (example.org)" in bad and "body changed" in bad
    assert "signature: dkim example.org pass" in run("show", "p1@example.org")
    stored = json.loads(run("show", "p2@example.org", "--json"))["attestations"]["p2@example.org"]
    assert stored[0]["status"] == "fail" and stored[0]["keys"] == str(tmp_path / "keys")
    from fastapi.testclient import TestClient

    from patchdesk.web.app import create_app
    sid = json.loads(run("show", "p2@example.org", "--json"))["id"]
    page = TestClient(create_app(db)).get(f"/series/{sid}")
    assert 'class="signature sig-fail"' in page.text
    # take says so before it applies (the maintainer decides; the changed diff still applies)
    taken = runner.invoke(app, ["--db", db, "take", "p2@example.org", "--tree", "frob"])
    assert "warning: patch 1 <p2@example.org>: its DKIM signature fails" in taken.output
    assert taken.exit_code == 0 and "limit_15 = 99" in (repo / "frob.c").read_text()
    ok = runner.invoke(app, ["--db", db, "take", "p1@example.org", "--tree", "frob"])
    assert ok.exit_code == 0 and "warning" not in ok.output, ok.output
    assert "no such file" in run("attest", "p1@example.org", "--keys", str(tmp_path / "nope"), code=2).lower()
