"""The default :class:`portalkit.ports.FileStore`: files on the local filesystem.

``<root>/<namespace>/<first two hex digits>/<sha256>``: content-addressed, so the same bytes
are kept once, and a file is written to a temporary name and renamed, so a reader never sees
half a file. The root is ``PORTALKIT_FILES_DIR``, or ``portalkit-files`` in the working folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_KEY = re.compile(r"[0-9a-f]{64}")
_NAMESPACE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def default_files_root() -> Path:
    return Path(os.environ.get("PORTALKIT_FILES_DIR", "portalkit-files"))


def file_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalFileStore:
    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else default_files_root()

    def _path(self, namespace: str, key: str) -> Path | None:
        if not _NAMESPACE.fullmatch(namespace) or not _KEY.fullmatch(key):
            return None
        return self.root / namespace / key[:2] / key

    def put(self, namespace: str, data: bytes) -> str:
        key = file_key(data)
        path = self._path(namespace, key)
        if path is None:
            raise ValueError(f"not a namespace: {namespace!r}")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)
        return key

    def get(self, namespace: str, key: str) -> bytes | None:
        path = self._path(namespace, key)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()
