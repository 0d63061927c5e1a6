"""An append-only JSON-lines audit log of mutating requests.

Each mutating operation writes a ``begin`` record before the engine call and
an ``end`` record after it, so a crash in between leaves a ``begin`` with no
``end``. Records never hold a token or password: only the token's owner.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

logger = logging.getLogger(__name__)


class AuditLog:
    """Append records to *path*, one JSON object per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND makes each write land at the end even with several worker
        # processes writing, and one os.write per record keeps lines whole.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._lock = threading.Lock()

    def record(self, **fields: str) -> None:
        entry = {"time": datetime.now(timezone.utc).isoformat(), **fields}
        line = json.dumps(entry, ensure_ascii=True).encode() + b"\n"
        try:
            with self._lock:
                os.write(self._fd, line)
        except OSError:
            logger.exception("could not write the audit log %s", self.path)
