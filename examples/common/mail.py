"""The demo's mail: every message is written to a folder as an ``.eml`` file, the way Django's
file e-mail backend does, for the person running the demo to open."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from portalkit import Mail
from portalkit.adapters.smtp import SmtpMailer


class DemoMailer:
    """Writes each mail to ``folder`` and keeps the last ones in ``mails`` (for tests)."""

    def __init__(self, folder: Path, keep: int = 500):
        self.mails: list[Mail] = []
        self.keep = keep
        self.folder = folder
        self._count = itertools.count(1)
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, mail: Mail) -> None:
        self.mails = (self.mails + [mail])[-self.keep:]
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(self._count):05d}.eml"
        (self.folder / name).write_bytes(SmtpMailer("localhost").build(mail).as_bytes())
