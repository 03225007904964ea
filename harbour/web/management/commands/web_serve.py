import os
import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Serve Harbour with gunicorn (static files by WhiteNoise)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HARBOUR_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HARBOUR_PORT", 8000)))
        # One process per CPU, threads for the waits on the database: on the 2-CPU load run
        # (benchmarks/README.md, run 6) 2 x 8 used about 15 % less CPU a request than 4 x 4.
        parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (2)")
        parser.add_argument("--threads", type=int, default=8, help="threads per process (8)")

    def handle(self, *args: Any, **options: Any) -> None:
        from harbour.directory.places import canadian_places

        canadian_places()  # written once to var/cache: no worker reads the 3 s world file
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            # The access log shows method, path and status only: never query strings or bodies.
            "--access-logformat",
            '%(t)s "%(m)s %(U)s" %(s)s %(M)sms',
            # gunicorn 25+ opens a control socket in the home directory by default: unused here.
            "--no-control-socket",
            # Each worker its own listening socket (SO_REUSEPORT): the kernel shares connections
            # out evenly. On one shared socket one worker kept most kept-alive connections (load
            # run 8: 2.4 times the other's CPU); run 9 with this: spike p95 854 -> 474 ms.
            "--reuse-port",
        ]
        address = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(_("Harbour on %(address)s (Ctrl+C stops)") % {"address": address})
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 (replace this process with gunicorn)
