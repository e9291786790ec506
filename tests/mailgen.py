"""Build realistic RFC 5322 messages for tests (git send-email style)."""

from __future__ import annotations


def make_mail(msgid: str | None, subject: str, *, sender: str = "Ada Lovelace <ada@example.org>",
              date: str = "Mon, 02 Nov 2026 10:15:00 +0100", refs: tuple[str, ...] = (),
              in_reply_to: str | None = None, body: str = "Hello.\n",
              extra: str = "", charset: str = "UTF-8", cte: str = "8bit") -> bytes:
    lines = [f"From: {sender}", "To: frob-devel@lists.example.org", f"Subject: {subject}",
             f"Date: {date}"]
    if msgid:
        lines.append(f"Message-Id: <{msgid}>")
    if refs:
        lines.append("References: " + "\n ".join(f"<{r}>" for r in refs))
    parent = in_reply_to or (refs[-1] if refs else None)
    if parent:
        lines.append(f"In-Reply-To: <{parent}>")
    lines += ["MIME-Version: 1.0", f"Content-Type: text/plain; charset={charset}",
              f"Content-Transfer-Encoding: {cte}"]
    if extra:
        lines.append(extra.rstrip("\n"))
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


def mbox(messages: list[bytes]) -> bytes:
    """An mboxrd file holding ``messages``."""
    import re
    out = []
    for raw in messages:
        out.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")
        out.append(re.sub(rb"(?m)^(>*From )", rb">\1", raw))
        if not raw.endswith(b"\n"):
            out.append(b"\n")
        out.append(b"\n")
    return b"".join(out)


def patch_body(message: str, path: str, removed: str, added: str, line: int = 10) -> str:
    """A git format-patch body changing one line of ``path``."""
    return (f"{message}\n\nSigned-off-by: Ada Lovelace <ada@example.org>\n---\n"
            f" {path} | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
            f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -{line},3 +{line},3 @@ static int frob(void)\n {{\n-\t{removed}\n+\t{added}\n }}\n"
            "-- \n2.47.0\n")
