"""The demo's mail and text messages: every message is written to a folder (mail as an ``.eml``
file, the way Django's file e-mail backend does; texts as ``.txt``) for the person running the
demo to open."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from portalkit import Mail
from portalkit.adapters.smtp import SmtpMailer
from portalkit.adapters.texts import MemoryTextMessenger
from portalkit.ports import TextMessage


class DemoMailer:
    """Writes each mail to ``folder`` and keeps the last ones in ``mails`` (for tests)."""

    def __init__(self, folder: Path, keep: int = 500):
        self.mails: list[Mail] = []
        self.keep = keep
        self.folder = folder
        self._count = itertools.count(1)
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, mail: Mail) -> None:
        self.mails = (self.mails + [mail])[-self.keep :]
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(self._count):05d}.eml"
        (self.folder / name).write_bytes(SmtpMailer("localhost").build(mail).as_bytes())


class DemoTextMessenger(MemoryTextMessenger):
    """Writes each text to ``folder`` (``<time>-<number>.txt``) besides keeping it in ``sent``."""

    name = "demo"

    def __init__(self, folder: Path, secret: str | None = None):
        super().__init__(secret)
        self.folder = folder
        self._count = itertools.count(1)
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: TextMessage) -> str:
        sid = super().send(message)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(self._count):05d}.txt"
        (self.folder / name).write_text(f"To: {message.to}\n\n{message.body}\n", encoding="utf-8")
        return sid
