"""Scratch directories that a Ctrl-C does not leave behind.

``tempfile.TemporaryDirectory`` removes its directory on the way out, but a second interrupt
landing inside that removal (or the review's own Ctrl-C arriving just then) stops it half way,
and the directory stays in the user's TMPDIR. Here the removal is finished first, whatever
arrives meanwhile, and an interrupt that arrived during it is raised afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["scratch_dir"]


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        interrupted = False
        while True:
            try:
                for _ in range(5):
                    shutil.rmtree(path, ignore_errors=True)
                    if not path.exists():
                        break
                    time.sleep(0.02)  # a git killed by the interrupt may still be writing its lock
                break
            except KeyboardInterrupt:
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt
