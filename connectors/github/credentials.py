"""Who the GitHub connector is: a token or a GitHub App, checked at start-up."""

from __future__ import annotations

import hashlib

from github import Auth

from connectors.errors import FatalError


def sign_in(
    repo: str,
    *,
    token: str | None,
    app_id: int | None,
    private_key: str | None,
    installation_id: int | None,
) -> tuple[Auth.Token | None, Auth.AppAuth | None, str]:
    """A token or a GitHub App, checked at start-up, and a name for the account.

    The name (``token:<hash>`` or ``app:<id>``) tells whether what the memo
    remembers about the account is still true, without keeping the token.
    """
    if token and any(v is not None for v in (app_id, private_key, installation_id)):
        msg = f"GitHub {repo}: give a token or a GitHub App (app_id, private_key), not both"
        raise FatalError(msg)
    if token:
        # A new token may be another account: the name changes with it.
        return Auth.Token(token), None, "token:" + hashlib.sha256(token.encode()).hexdigest()[:12]
    if app_id is None or not private_key:
        msg = f"GitHub {repo}: give a token, or a GitHub App's app_id and private_key"
        raise FatalError(msg)
    app = Auth.AppAuth(app_id, private_key)
    try:
        app.create_jwt()  # a bad key fails here, at start-up
    except Exception as error:  # PyJWT and cryptography raise several types
        kind = type(error).__name__
        msg = f"GitHub {repo}: the App private key cannot sign a token ({kind})"
        raise FatalError(msg) from None
    return None, app, f"app:{app_id}"


def refused_hint(app: bool, credentials: str | None) -> str:
    """What a 401 means here, and where to look: ``check FOREWARN_GITHUB_TOKEN``."""
    if app:
        return f"the GitHub App was refused; check {credentials or 'app_id and its key'}"
    return f"the token was refused; check {credentials or 'the token'}"
