"""Annotator accounts on the Label Studio server, and who is who.

The open-source edition has no API to create a working second user: `POST /api/users/` ignores
the password and leaves the user outside the organisation. What does work (checked on 1.23.2)
is what a person would do: open the organisation's invite link, sign up with e-mail and
password (the new user joins the organisation), then read the user's own API token from
`/api/current-user/token` in that logged-in session.

Each WarVoices annotator id (e.g. `ann-a`) maps to one Label Studio user, by default the e-mail
`ann-a@warvoices.local`. The mapping, the generated password (to hand to the person) and the
user's token are kept in `<data-dir>/warvoices/users.json`, mode 0600, outside the repository.
An account that already exists on the server (say, a curator who signed up by hand) can be
mapped without credentials.
"""
from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import httpx

from warvoices.corpus.errors import WarVoicesError

from .ls_client import LSClient, LSError
from .ls_server import Paths, write_secret

EMAIL_DOMAIN = "warvoices.local"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class UserError(WarVoicesError):
    pass


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise UserError(f"annotator id {name!r} is not valid: use lower-case letters, digits, '-' or '_' "
                        "(at most 40 characters, e.g. ann-a)")
    return name


def load_users(paths: Paths) -> dict[str, dict]:
    if not paths.users.is_file():
        return {}
    try:
        return json.loads(paths.users.read_text(encoding="utf-8")).get("annotators", {})
    except json.JSONDecodeError as exc:
        raise UserError(f"{paths.users}: not valid JSON ({exc.msg}); restore it from a backup") from None


def save_users(paths: Paths, users: dict[str, dict]) -> None:
    write_secret(paths.users, json.dumps({"annotators": users}, indent=2, sort_keys=True))


def _signup(url: str, invite_url: str, email: str, password: str, timeout: float) -> str:
    """Sign up through the invite link like a browser would; returns the new user's API token."""
    with httpx.Client(base_url=url, timeout=timeout, follow_redirects=False) as web:
        page = web.get(invite_url)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        csrf = match.group(1) if match else web.cookies.get("csrftoken")
        if page.status_code != 200 or not csrf:
            raise UserError(f"the signup page of {url} did not load as expected ({page.status_code}); "
                            "is this Label Studio 1.23?")
        resp = web.post(invite_url, data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
                        headers={"Referer": url + invite_url})
        if resp.status_code != 302:
            errors = re.findall(r'class="[^"]*(?:error|field_errors)[^"]*"[^>]*>([^<]+)<', resp.text)
            why = "; ".join(e.strip() for e in errors if e.strip()) or f"status {resp.status_code}"
            raise UserError(f"Label Studio refused to sign up {email}: {why}")
        tok = web.get("/api/current-user/token")
        if tok.status_code != 200 or "token" not in tok.json():
            raise UserError(f"signed up {email} but could not read the new user's token ({tok.status_code})")
        return tok.json()["token"]


def add_annotator(client: LSClient, paths: Paths, name: str, email: str | None = None) -> tuple[dict, str]:
    """Create (or map) the Label Studio user of annotator `name`; returns (record, what happened)."""
    check_name(name)
    email = (email or f"{name}@{EMAIL_DOMAIN}").lower()
    users = load_users(paths)
    server_users = {u["email"].lower(): u for u in client.users()}
    known = users.get(name)
    if known:
        if known["email"] != email:
            raise UserError(f"annotator {name} is already mapped to {known['email']}, not {email}")
        if email in server_users:
            return known, "already registered"
        raise UserError(f"annotator {name} ({email}) is in {paths.users} but not on the server at {client.url}; "
                        "was the data directory replaced? Remove the entry from that file and add the user again")
    if email in server_users:
        rec = {"email": email, "user_id": server_users[email]["id"], "password": None, "token": None}
        what = "mapped to the existing Label Studio account (its password and token are not stored)"
    else:
        password = secrets.token_urlsafe(12)
        token = _signup(client.url, client.invite_url(), email, password, client.timeout)
        uid = next((u["id"] for u in client.users() if u["email"].lower() == email), None)
        if uid is None:
            raise UserError(f"signed up {email} but the user does not appear in the organisation")
        rec = {"email": email, "user_id": uid, "password": password, "token": token}
        what = f"created Label Studio user {email}"
    others = [n for n, r in users.items() if r["email"] == email]
    if others:
        raise UserError(f"{email} is already the account of annotator {others[0]}")
    users[name] = rec
    save_users(paths, users)
    return rec, what


def annotator_by_user_id(paths: Paths) -> dict[int, str]:
    return {int(r["user_id"]): name for name, r in load_users(paths).items()}


def annotator_client(paths: Paths, url: str, name: str, timeout: float | None = None) -> LSClient:
    """A client acting as annotator `name` (with the user's own token), e.g. to submit in tests."""
    rec = load_users(paths).get(name)
    if not rec or not rec.get("token"):
        raise UserError(f"no stored token for annotator {name}; it is only kept for users created by "
                        "`warvoices annotate users add`")
    return LSClient(url, rec["token"], token_source=f"{paths.users} ({name})", timeout=timeout)


def require_annotators(paths: Paths, names: list[str]) -> dict[str, dict]:
    users = load_users(paths)
    missing = [n for n in names if n not in users]
    if missing:
        raise UserError(f"unknown annotator(s) {', '.join(missing)}; add them first with "
                        f"`warvoices annotate users add {missing[0]}` (one per annotator)")
    return {n: users[n] for n in names}


__all__ = ["add_annotator", "annotator_by_user_id", "annotator_client", "load_users", "require_annotators",
           "LSError"]
