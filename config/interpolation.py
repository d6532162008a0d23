"""``${VAR}`` in ``forewarn.yaml``: tokens and URLs from the environment or secret files.

``${VAR}`` in a string value is replaced from the environment, then from the
file ``<secrets dir>/<var lowercased>`` or ``<secrets dir>/<VAR>`` (Docker and
Kubernetes secrets), without a trailing line break either way;
``${VAR:-default}`` falls back when the variable is unset or empty; ``$${``
writes a literal ``${``. What a variable holds never appears in a message:
tokens travel this way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from config.fields import Loc

DEFAULT_SECRETS_DIR = Path("/run/secrets")
SECRETS_DIR_VARIABLE = "FOREWARN_SECRETS_DIR"

# `${VAR}` is not a valid plain scalar inside a flow mapping (`{token: ${X}}`): braces
# end it. Before parsing, the braces of every reference become two private-use
# characters of the same width, so the YAML parses and every column stays true.
_OPEN, _CLOSE = "\ue000", "\ue001"
_RESTORE = str.maketrans({_OPEN: "{", _CLOSE: "}"})
_REF_IN_SOURCE = re.compile(r"\$(\$?)\{([^{}\n]*)\}")
_REF = re.compile(rf"\$(\$?){_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
_UNCLOSED = re.compile(r"(?<!\$)\$\{")
_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)
_MIN_SECRET_LENGTH = 6


def reserved_at(text: str) -> int | None:
    """Where ``text`` holds a character that :func:`protect` uses itself (None: nowhere)."""
    for index, char in enumerate(text):
        if char in (_OPEN, _CLOSE):
            return index
    return None


def protect(text: str) -> str:
    """The file with the braces of every ``${...}`` swapped out, ready for the YAML parser."""
    return _REF_IN_SOURCE.sub(lambda m: f"${m.group(1)}{_OPEN}{m.group(2)}{_CLOSE}", text)


def restore(text: str) -> str:
    """Text from the parser (a key, a message) with its braces back, as the file wrote it."""
    return text.translate(_RESTORE)


class Interpolator:
    """Fills in the ``${VAR}`` of each string value, and remembers what it filled in.

    ``report(loc, message)`` records a problem with the value at ``loc``.
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        secrets_dir: Path,
        *,
        report: Callable[[Loc, str], None],
    ) -> None:
        self.environ = environ
        self.secrets_dir = secrets_dir
        self.report = report
        #: value substituted -> "${NAME}", so that no message ever shows it.
        self.secrets: dict[str, str] = {}
        #: location -> the value as written (with its ${...}), for messages.
        self.sources: dict[Loc, str] = {}
        #: values whose interpolation failed: their other problems would only be noise.
        self.poisoned: set[Loc] = set()

    def redact(self, message: str) -> str:
        """``message`` with every substituted value shown as the ``${NAME}`` it came from."""
        for value in sorted(self.secrets, key=len, reverse=True):
            if len(value) >= _MIN_SECRET_LENGTH:
                message = message.replace(value, self.secrets[value])
        return message

    def interpolate(self, text: str, loc: Loc) -> str:
        """The string value at ``loc`` (still protected) with its variables filled in."""
        source = restore(text)
        if _OPEN not in text:
            if _UNCLOSED.search(text):
                self.report(loc, "a ${ is not closed (write ${NAME})")
            return text
        failed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal failed
            escaped, body = match.groups()
            if escaped:
                return "${" + body + "}"
            variable = _VARIABLE.match(body)
            if not variable:
                hint = "write ${NAME} or ${NAME:-default}"
                self.report(loc, f'bad variable reference "${{{body}}}" ({hint})')
                failed = True
                return ""
            name, default = variable.groups()
            value = self._lookup(name, loc)
            if not value and default is not None:
                return default
            if value is None:
                self.report(loc, f"environment variable {name} is not set")
                failed = True
                return ""
            if value:
                self.secrets.setdefault(value, "${" + name + "}")
            return value

        result = _REF.sub(substitute, text)
        if any(not match.group(1) for match in _REF.finditer(text)):
            self.sources[loc] = source
        if failed:
            self.poisoned.add(loc)
        return result

    def _lookup(self, name: str, loc: Loc) -> str | None:
        # A trailing line break is no part of a value, from a secret file or the environment
        # (a Kubernetes secret put into an environment variable often ends in one).
        if name in self.environ:
            return self.environ[name].rstrip("\r\n")
        for candidate in dict.fromkeys((name.lower(), name)):
            secret = self.secrets_dir / candidate
            try:
                if secret.is_file():
                    return secret.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                self.report(loc, f"cannot read secret {secret}: {reason}")
                self.poisoned.add(loc)
                return ""
        return None
