"""``python -m sync.store.migrations COMMAND``: Alembic's commands against ``FOREWARN_STATE_URL``.

``current``, ``history``, ``upgrade head``, ``downgrade -1``, ``stamp``, and
``revision --autogenerate -m MESSAGE`` for developers. forewarn itself needs
none of this: the state store upgrades its database when it opens it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from alembic.config import CommandLine

from config.settings import DEFAULT_STATE_URL
from sync.store.migrations import alembic_config


def main(argv: Sequence[str] | None = None) -> int:
    cli = CommandLine(prog="python -m sync.store.migrations")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    url = os.environ.get("FOREWARN_STATE_URL") or DEFAULT_STATE_URL
    cli.run_cmd(alembic_config(url=url), options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
