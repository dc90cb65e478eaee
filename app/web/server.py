"""gunicorn in-process, with the deadline scheduler started in each worker after it boots."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app
        return create_app()


def _start_scheduler(worker) -> None:
    from app.deadlines.scheduler import DeadlineScheduler
    worker.mash_scheduler = DeadlineScheduler()
    worker.mash_scheduler.start()


def run_server(*, host: str, port: int, workers: int, threads: int, scheduler: bool) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        # No query strings in the access log: they could carry personal data.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "timeout": 60,
        "graceful_timeout": 10,
    }
    if scheduler:
        options["post_worker_init"] = _start_scheduler
    _Server(options).run()
