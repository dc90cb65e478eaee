"""gunicorn in-process, with the deadline scheduler started in each worker after it boots."""
from __future__ import annotations

import sys

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
    from app.casework.scheduler import DeadlineScheduler
    worker.mash_scheduler = DeadlineScheduler()
    worker.mash_scheduler.start()


def _prepare_worker(_worker) -> None:
    """Start the worker's first diagram evaluator now, so the first contact does not wait for one (0.2 s); then
    set the garbage collector for a long-running worker (app.core.heap)."""
    from app.core.heap import settle_after_start
    from app.engine.evaluator import warm_up
    warm_up()
    settle_after_start()


def _worker_ready(worker) -> None:
    _prepare_worker(worker)
    _start_scheduler(worker)


def _stop_scheduler(_arbiter, worker) -> None:
    """A worker leaving cleanly (stop, reload, restart) hands the lease back, so another takes over at once
    rather than when the lease lapses."""
    scheduler = getattr(worker, "mash_scheduler", None)
    if scheduler is not None:
        scheduler.shutdown()


#: No query strings in the access log: they could carry personal data. <pid> says which worker answered; the line
#: ends with the time the request took in the server, in microseconds (bench/task_throughput.py reads it).
ACCESS_LOG_FORMAT = '%(p)s %(h)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus'


def run_server(*, host: str, port: int, workers: int, threads: int, scheduler: bool) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "timeout": 60,
        "graceful_timeout": 10,
        # gunicorn's management socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which a
        # second `mash serve` on the host would take over; the hub does not use it.
        "control_socket_disable": True,
    }
    options["post_worker_init"] = _prepare_worker
    if scheduler:
        options["post_worker_init"] = _worker_ready
        options["worker_exit"] = _stop_scheduler
    _start_dev_mail()
    _Server(options).run()


def _start_dev_mail() -> None:
    """MASH_DEV_MAIL=1 (make run): the local SMTP sink the demo's mail goes to, shown at /dev/mail."""
    from app.core.config import load_settings, mail_settings
    if mail_settings().dev_mail:
        from app.notifications.devmail import start_dev_sink
        port = start_dev_sink(load_settings().instance_path)
        sys.stderr.write(f"Development mail: sent to a local SMTP sink on 127.0.0.1:{port}, shown at /dev/mail "
                         "(admin).\n")
