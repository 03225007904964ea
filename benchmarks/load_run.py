"""Load run: a real Harbour server (gunicorn, several workers) on PostgreSQL on loopback, driven by
locust's simulated staff (benchmarks/load/locustfile.py), with a spike; then the audit trail is
verified. Prints requests per second, p50/p95/p99 and errors for each phase and each action.

    createdb -h 127.0.0.1 -U postgres harbour_load          # an EMPTY database
    nice -n 10 .venv/bin/python benchmarks/load_run.py \\
        --database-url postgres://postgres@127.0.0.1:5432/harbour_load
    dropdb -h 127.0.0.1 -U postgres harbour_load

Default shape: 100 staff for ten minutes, a 5x spike (500) for one minute, 100 again for one.
`--shape 20:20,100:10` (users:seconds,...) and `--cases 100` make the short version CI runs
(tests/test_load.py). See benchmarks/README.md ("Load") for how to read the output.
"""

import argparse
import base64
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HARBOUR = [sys.executable, "-m", "harbour.cli"]
TARGETS = {"error_rate": 0.01, "p95_ms": 800}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL database")
    parser.add_argument("--shape", default="100:600,500:60,100:60", help="users:seconds,...")
    # 2 x 8 on two CPUs: against 4 x 4 (runs 1-5), 15 % less CPU a request and half the p95 at
    # 150 staff, in both orders (benchmarks/README.md, "Where the CPU goes under load").
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
    # Each worker its own listening socket (SO_REUSEPORT), as `harbour serve` since run 9: the
    # kernel shares new connections out evenly; one shared socket let one worker keep most of
    # them (run 8: 2.4 times the other's CPU at the steady load).
    parser.add_argument(
        "--one-socket",
        action="store_true",
        help="all workers on one listening socket, as before run 9 (to measure the difference)",
    )
    parser.add_argument("--cases", type=int, default=1200, help="demo cases (default 1200)")
    parser.add_argument(
        "--timeout", type=int, default=60, help="gunicorn's worker timeout, seconds (default 60)"
    )
    parser.add_argument(
        "--fast-password-hasher",
        action="store_true",
        help="hash passwords as the test suite does (sign-ins then cost nothing: for the short "
        "correctness run, never for figures)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    return parser.parse_args(argv)


def environment(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    def key() -> str:
        return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")

    return (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "HARBOUR_VAR_DIR": str(var_dir),
            "HARBOUR_DATABASE_URL": args.database_url,
            "HARBOUR_KEYSTORE_URL": f"sqlite:///{var_dir / 'keys' / 'keystore.sqlite3'}",
            "HARBOUR_SECRET_KEY": secrets.token_urlsafe(48),
            "HARBOUR_MASTER_KEY": key(),
            "HARBOUR_AUDIT_KEY": key(),
            "HARBOUR_DEMO_PASSWORD": f"load-{secrets.token_hex(8)}",
            "HARBOUR_DEBUG": "false",
            "HARBOUR_SECURE_COOKIES": "false",
            "HARBOUR_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HARBOUR_LOG_LEVEL": "ERROR",
            "HARBOUR_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            # Spikes are what login throttling is for; here they are one account per many sessions.
            "HARBOUR_LOGIN_THROTTLE_FAILURES": "1000",
        }
        | ({"HARBOUR_FAST_PASSWORD_HASHER": "1"} if args.fast_password_hasher else {})
    )


def prepare(env: dict[str, str], cases: int) -> float:
    """Schema, terminology and the synthetic demo, through Harbour's own command."""
    started = time.perf_counter()
    command = [*HARBOUR, "demo", "--no-serve", "--cases", str(cases)]
    subprocess.run(command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


PLAN_SCRIPT = r"""
import json, sys, django
django.setup()
from harbour.accounts.actions import issue_token
from harbour.accounts.models import User
from harbour.cases.models import Case
from harbour.sharing.models import Party
from harbour.standard.dictionary import current
from django.utils import timezone
national = Party.objects.filter(
    agreement__is_national_protocol=True, accepted_at__isnull=False, left_at__isnull=True
)
adopted = {str(p.org_id) for p in national}
staff = []
for user in User.objects.filter(role="caseworker", is_active=True).select_related("org"):
    if str(user.org_id) not in adopted:
        continue
    _token, plain = issue_token(by=user, name="load run")
    ids = Case.objects.filter(org_id=user.org_id).values_list("pk", flat=True)[:80]
    cases = [str(c) for c in ids]
    partners = sorted(adopted - {str(user.org_id)})
    staff.append({"email": user.email, "token": plain, "province": user.org.province,
                  "cases": cases, "partners": partners})
needs = [c.code for c in current().codelists["need"].codes if c.code != "other"]
json.dump({"staff": staff, "needs": needs, "today": str(timezone.localdate()),
           "places": ["Toronto", "Winnipeg", "Montreal", "Vancouver", "Halifax", "Calgary"],
           "names": ["Amira", "Jean", "Sofia", "Maria", "Linh", "Grace", "Nadia", "Ana"],
           "password": sys.argv[2]}, open(sys.argv[1], "w"))
print(len(staff))
"""


def make_plan(env: dict[str, str], path: Path) -> int:
    command = [sys.executable, "-c", PLAN_SCRIPT, str(path), env["HARBOUR_DEMO_PASSWORD"]]
    done = subprocess.run(command, env=env, check=True, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    return int(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int, args: argparse.Namespace, log: Path) -> Any:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--threads", str(args.threads), "--timeout", str(args.timeout),
        # Clients (and proxies) reuse connections; gunicorn's default 2 s keep-alive makes
        # a reused connection race the server's close ("connection reset by peer").
        "--keep-alive", "30", *([] if args.one_socket else ["--reuse-port"]),
    ]  # fmt: skip
    server = subprocess.Popen(  # noqa: S603
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    wait_until_up(f"http://127.0.0.1:{port}/accounts/sign-in/", server)
    return server


def wait_until_up(url: str, server: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped while starting: see its log")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")


def stop(server: Any) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def drive(
    env: dict[str, str], port: int, shape: str, plan: Path, record: Path, server_pid: int = 0
) -> list[dict[str, Any]]:
    """Run locust until the shape ends; returns samples taken every few seconds meanwhile: the
    machine's 1-minute load average and the CPU seconds used so far by each process group
    (cpu_sample), for the report of each phase."""
    locust_env = env | {
        "HARBOUR_LOAD_PLAN": str(plan),
        "HARBOUR_LOAD_RECORD": str(record),
        "HARBOUR_LOAD_SHAPE": shape,
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "load" / "locustfile.py"),
        "--headless", "--host", f"http://127.0.0.1:{port}", "--only-summary",
        "--loglevel", "WARNING", "--stop-timeout", "10",
    ]  # fmt: skip
    locust = subprocess.Popen(command, env=locust_env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603

    def sample() -> dict[str, Any]:
        taken = {"t": time.time(), "load": os.getloadavg()[0]}
        return taken | {"cpu": cpu_sample(server_pid, locust.pid)}

    samples = [sample()]
    while locust.poll() is None:
        time.sleep(LOAD_SAMPLE_S)
        samples.append(sample())
    return samples


# --- where the CPU went: read from /proc while the run goes (Linux) --------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds user + system) of a process, if it still runs."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
    fields = rest.split()  # fields[0] is the state: the parent is [1], utime [11], stime [12]
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def cpu_sample(server_pid: int, locust_pid: int) -> dict[str, float]:
    """CPU seconds so far of each gunicorn worker ("worker <pid>"), of PostgreSQL's processes,
    of the load generator, and of the whole machine ("machine busy": /proc/stat without idle
    and I/O wait). Processes that ended are not counted (a group's use can only be under-read)."""
    groups: dict[str, float] = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()) if Path("/proc").is_dir() else ():
        found = _stat(pid)
        if found is None:
            continue
        name, parent, seconds = found
        if parent == server_pid and server_pid:
            group = f"worker {pid}"  # one group a worker: is the work shared out evenly?
        elif int(pid) == server_pid:
            group = "gunicorn master"
        elif name.startswith("postgres"):
            group = "PostgreSQL"
        elif locust_pid in (int(pid), parent):
            group = "locust"
        else:
            continue
        groups[f"{group}|{pid}"] = seconds
    return groups | _machine_busy()


def _machine_busy() -> dict[str, float]:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return {}
    ticks = [int(x) for x in first]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return {"machine busy": (sum(ticks[:8]) - idle) / _TICK}


def cores_used(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, float]:
    """Per group, CPU seconds used between the first and the last sample in [start, end),
    divided by the seconds between them: how many of the machine's cores it kept busy."""
    inside = [s for s in samples if start <= s["t"] < end and "cpu" in s]
    if len(inside) < 2 or inside[-1]["t"] <= inside[0]["t"]:
        return {}
    first, last, wall = inside[0]["cpu"], inside[-1]["cpu"], inside[-1]["t"] - inside[0]["t"]
    used: dict[str, float] = {}
    for key, seconds in last.items():
        # Per process: one started meanwhile counts from nothing; one that ended is not seen
        # (PostgreSQL's backends come and go), so a group's figure can only be under-read.
        group = key.split("|")[0]
        used[group] = used.get(group, 0.0) + seconds - first.get(key, 0.0)
    return {g: round(seconds / wall, 2) for g, seconds in used.items()}


LOAD_SAMPLE_S = 5.0


# --- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(rows: list[list[Any]], seconds: float) -> dict[str, Any]:
    times = [r[2] for r in rows]
    errors = sum(1 for r in rows if not r[4])
    return {
        "requests": len(rows),
        "rps": round(len(rows) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(times, 50)),
        "p95_ms": round(percentile(times, 95)),
        "p99_ms": round(percentile(times, 99)),
        "mean_ms": round(statistics.fmean(times)) if times else 0,
        "errors": errors,
        "error_rate": round(errors / len(rows), 4) if rows else 0.0,
        "error_statuses": sorted({r[3] for r in rows if not r[4]}),
    }


SIGN_IN = ("sign in", "sign in (page)")


def report(record: Path, shape: str, samples: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per phase of the shape, the staff's work (sign-ins apart: each is one password hash,
    slow by design, once per session, and they bunch up when sessions start) and the machine's
    load average during it (mean and highest of the 1-minute figure); per action, the whole
    run."""
    every = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    start = min(r[0] for r in every)
    rows = [r for r in every if r[1] not in SIGN_IN]
    phases, offset = [], 0.0
    for part in shape.split(","):
        users, seconds = (int(x) for x in part.split(":"))
        chosen = [r for r in rows if offset <= r[0] - start < offset + seconds]
        during = [s["load"] for s in samples or [] if offset <= s["t"] - start < offset + seconds]
        phases.append(
            {"users": users, "from_s": offset, "seconds": seconds}
            | summarise(chosen, seconds)
            | {"load_mean": round(statistics.fmean(during), 1) if during else None}
            | {"load_max": round(max(during), 1) if during else None}
            | {"cores": cores_used(samples or [], start + offset, start + offset + seconds)}
        )
        offset += seconds
    names = sorted({r[1] for r in every})
    by_action = {n: summarise([r for r in every if r[1] == n], offset) for n in names}
    return {"overall": summarise(rows, offset), "phases": phases, "actions": by_action}


def print_report(result: dict[str, Any], header: str) -> None:
    print(header)
    line = "{:<44} {:>8} {:>7} {:>7} {:>7} {:>7} {:>8}"
    print(line.format("", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"))
    for phase in result["phases"]:
        end = phase["from_s"] + phase["seconds"]
        label = f"{phase['users']} staff, {phase['from_s']:.0f}-{end:.0f} s"
        print(_row(line, label, phase) + _load(phase))
        if phase.get("cores"):
            print(" " * 4 + _cores(phase["cores"]))
    print(_row(line, "whole run (sign-ins apart)", result["overall"]))
    print("\nby action (whole run):")
    for name, stats in result["actions"].items():
        print(_row(line, name[:44], stats))
    overall = result["overall"]
    missed = [
        f"{p['users']} staff from {p['from_s']:.0f} s"
        for p in result["phases"]
        if p["p95_ms"] >= TARGETS["p95_ms"] or p["error_rate"] >= TARGETS["error_rate"]
    ]
    verdict = overall["error_rate"] < TARGETS["error_rate"] and not missed
    print(
        f"\ntargets: errors < 1 %, p95 < 800 ms in every phase (the spike's included): "
        f"{'met' if verdict else 'NOT met (' + ', '.join(missed) + ')'}; "
        f"audit trail after the run: {result['audit']}"
    )


def _load(phase: dict[str, Any]) -> str:
    if phase.get("load_mean") is None:
        return ""
    return f"   load average {phase['load_mean']:.1f} (up to {phase['load_max']:.1f})"


def _cores(cores: dict[str, float]) -> str:
    """E.g. "cores busy: machine 1.97 of 2; worker 4242 0.81, worker 4243 0.74; PostgreSQL..."."""
    workers = sorted(g for g in cores if g.startswith("worker "))
    others = [g for g in ("gunicorn master", "PostgreSQL", "locust") if g in cores]
    parts = [f"machine {cores.get('machine busy', 0):.2f} of {os.cpu_count()}"]
    parts.append(", ".join(f"{g} {cores[g]:.2f}" for g in workers) or "no worker seen")
    parts += [f"{g} {cores[g]:.2f}" for g in others]
    return "cores busy: " + "; ".join(parts)


def _row(line: str, label: str, s: dict[str, Any]) -> str:
    errors = f"{s['errors']} ({s['error_rate']:.1%})"
    return line.format(
        label, s["requests"], s["rps"], s["p50_ms"], s["p95_ms"], s["p99_ms"], errors
    )


def verify_audit(env: dict[str, str]) -> str:
    command = [*HARBOUR, "audit", "verify"]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    return (done.stdout + done.stderr).strip().splitlines()[-1]


def _children_cpu() -> float:
    """CPU seconds (user and system) of every child process this one has waited for: after
    stop(), gunicorn's master and, reaped by it, its workers (issue 9: CPU a request is what
    a spike on two CPUs asks for, whatever the latency of the moment)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _server_cpu(seconds: float, record: Path) -> dict[str, Any]:
    lines = [line for line in record.read_text().splitlines() if line.strip()]
    per = seconds * 1000 / len(lines) if lines else 0.0
    return {"seconds": round(seconds, 1), "requests": len(lines), "ms_per_request": round(per, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="harbour-load-"))
    env = environment(args, var_dir)
    server = None
    try:
        seeded = prepare(env, args.cases)
        staff = make_plan(env, var_dir / "plan.json")
        port = free_port()
        server = start_server(env, port, args, var_dir / "server.log")
        record = var_dir / "requests.jsonl"
        samples = drive(env, port, args.shape, var_dir / "plan.json", record, server.pid)
        before = _children_cpu()  # locust has been waited for; the server not yet
        stop(server)
        server_cpu = _children_cpu() - before
        result = report(record, args.shape, samples) | {"audit": verify_audit(env)}
        result["server_cpu"] = _server_cpu(server_cpu, record)
        result["setup"] = {
            "shape": args.shape, "workers": args.workers, "threads": args.threads,
            "reuse_port": not args.one_socket,
            "demo_cases": args.cases, "demo_accounts_used": staff, "seeding_s": round(seeded),
            "cpus": os.cpu_count(), "python": sys.version.split()[0],
            "load_average_at_end": os.getloadavg(), "samples": samples,
        }  # fmt: skip
        header = (
            f"Harbour load run: gunicorn {args.workers} workers x {args.threads} threads"
            f"{' (one socket)' if args.one_socket else ' (a socket each)'}, "
            f"PostgreSQL on loopback, {args.cases} demo cases, {staff} demo caseworker accounts; "
            f"{os.cpu_count()} CPUs shared with the load generator (load average at the end: "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())})\n"
        )
        print_report(result, header)
        cpu = result["server_cpu"]
        print(
            f"server CPU (gunicorn's processes, boot and sign-ins included): {cpu['seconds']} s "
            f"for {cpu['requests']} requests, {cpu['ms_per_request']} ms a request"
        )
        if args.json:
            args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
        return result
    finally:
        if server is not None:
            stop(server)
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"kept {var_dir}")


if __name__ == "__main__":
    main()
