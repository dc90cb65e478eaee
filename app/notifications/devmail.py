"""The development mail sink (MASH_DEV_MAIL=1, ``make run``): a real SMTP server on 127.0.0.1 that keeps every
message it receives in ``instance/dev-mail/`` for ``/dev/mail`` to show. Nothing it receives goes further."""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

FOLDER = "dev-mail"


class KeepInFolder:
    """aiosmtpd handler: each message's bytes, as received, in a file of its own readable by this account."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(instance_path: Path, port: int) -> Controller:
    """Start the sink in a thread of this process; ``stop()`` the controller to end it. aiosmtpd's own log
    names every sender and recipient at INFO: only its warnings are kept."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(KeepInFolder(instance_path / FOLDER), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@dataclass(frozen=True)
class Received:
    name: str
    sender: str
    to: str
    subject: str
    date: str
    body: str


def received(instance_path: Path, limit: int = 100) -> list[Received]:
    """What the sink has received, newest first."""
    folder = instance_path / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        part = message.get_body(preferencelist=("plain",))
        found.append(Received(name=path.name, sender=str(message["From"] or ""), to=str(message["To"] or ""),
                              subject=str(message["Subject"] or ""), date=str(message["Date"] or ""),
                              body=part.get_content() if part is not None else ""))
    return found


_running: Controller | None = None


def start_dev_sink(instance_path: Path) -> int:
    """``mash serve`` with MASH_DEV_MAIL=1: start the sink once, in the serving process, before the workers are
    started (they inherit MASH_DEV_MAIL_PORT, so their mail reaches it). A port given in MASH_DEV_MAIL_PORT is
    used as given; otherwise 8025, or any free port when 8025 is taken. Returns the port."""
    global _running
    port = int(os.environ.get("MASH_DEV_MAIL_PORT") or 8025)
    if not os.environ.get("MASH_DEV_MAIL_PORT") and not port_is_free(port):
        port = free_port()
    os.environ["MASH_DEV_MAIL_PORT"] = str(port)
    if _running is None:
        _running = start_sink(instance_path, port)
    return port
