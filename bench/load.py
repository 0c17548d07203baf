"""Loopback load test of the web desk while an ingest writes to the same database.

1. generates a synthetic corpus (``bench/synth.py``, many planted copies so stories have
   several articles), ingests the first part with ``storylens ingest``;
2. starts ``storylens serve`` on a free loopback port (a separate process);
3. starts a second ``storylens ingest`` of the rest (another process, same database) and, at
   the same time, runs N concurrent clients (asyncio + httpx) for a fixed time: 80 % story pages
   (``/stories/{id}``, ids refreshed from the API so new stories are read too), 10 % the story
   list, 10 % ``/api/v1/stories/{id}``;
4. prints requests/s, latency percentiles, status counts (5xx must be zero), and whether
   stories made by the concurrent ingest were served without a restart.

Usage: ``.venv/bin/python bench/load.py [--clients 50] [--seconds 20] [--initial 400] [--live 1200]
[--no-extras]``. Exits 1 when any request got a 5xx or failed to connect.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.synth import make_corpus  # noqa: E402

CLI = [sys.executable, "-m", "storylens.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_jsonl(path: Path, docs) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "title": d.title, "outlet": d.outlet, "published": d.published,
                                "text": d.text}) + "\n")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


async def client_loop(cid: int, base: str, state: dict, stop_at: float, rec: list, rng: random.Random) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        while time.perf_counter() < stop_at:
            ids = state["ids"]
            r = rng.random()
            if r < 0.10 or not ids:
                url = "/"
            elif r < 0.20:
                url = f"/api/v1/stories/{rng.choice(ids)}?text=false"
            else:
                # readers favour recent stories: the first of the newest-first list are read most
                url = f"/stories/{ids[min(len(ids) - 1, int(rng.expovariate(1 / 40)))]}"
            t0 = time.perf_counter()
            try:
                resp = await c.get(url)
                status = resp.status_code
            except httpx.HTTPError as e:
                status = f"error:{type(e).__name__}"
            rec.append((time.perf_counter() - t0, status, url.split("/")[1] or "list"))


async def refresher(base: str, state: dict, stop_at: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        while time.perf_counter() < stop_at:
            try:
                items = []
                for off in (0, 200):
                    r = await c.get("/api/v1/stories", params={"limit": 200, "offset": off})
                    items += r.json()["items"]
                state["ids"] = [s["id"] for s in items]
                state["seen"].update(state["ids"])
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            await asyncio.sleep(1.0)


async def run_clients(base: str, n: int, seconds: float, seed: int) -> tuple[list, dict]:
    state = {"ids": [], "seen": set(), "initial": set()}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        offset = 0
        while offset is not None:  # every story that exists before the clients start
            page = (await c.get("/api/v1/stories", params={"limit": 200, "offset": offset})).json()
            state["initial"].update(s["id"] for s in page["items"])
            if not state["ids"]:
                state["ids"] = [s["id"] for s in page["items"]]
            offset = page["next_offset"]
    stop_at = time.perf_counter() + seconds
    rec: list = []
    rng = random.Random(seed)
    tasks = [client_loop(i, base, state, stop_at, rec, random.Random(rng.random())) for i in range(n)]
    await asyncio.gather(refresher(base, state, stop_at), *tasks)
    return rec, state


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--initial", type=int, default=400, help="articles ingested before the server starts")
    ap.add_argument("--live", type=int, default=1200, help="articles ingested while the clients read")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-extras", action="store_true", help="serve story pages without quotes/event records")
    args = ap.parse_args()

    corpus = make_corpus(args.initial + args.live, seed=args.seed, exact=0.08, near=0.25, contained=0.10)
    tmp = Path(tempfile.mkdtemp(prefix="storylens-load-"))
    db = tmp / "load.db"
    write_jsonl(tmp / "initial.jsonl", corpus.docs[: args.initial])
    write_jsonl(tmp / "live.jsonl", corpus.docs[args.initial:])
    env = dict(os.environ, STORYLENS_TOKEN="load-bench-token", PYTHONPATH=str(ROOT / "src"))
    if args.no_extras:
        env["STORYLENS_EXTRAS"] = "0"
    t0 = time.perf_counter()
    subprocess.run(CLI + ["ingest", str(tmp / "initial.jsonl"), "--db", str(db), "--no-extract", "-q"],
                   check=True, env=env, capture_output=True)
    t_initial = time.perf_counter() - t0

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(CLI + ["serve", "--db", str(db), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                print("server did not start:", server.stderr.read() if server.poll() is not None else "timeout")
                return 1
            time.sleep(0.2)
        n_before = httpx.get(base + "/api/v1/health").json()
        ingest = subprocess.Popen(CLI + ["ingest", str(tmp / "live.jsonl"), "--db", str(db), "--no-extract", "-q"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t_start = time.perf_counter()
        rec, state = asyncio.run(run_clients(base, args.clients, args.seconds, args.seed))
        wall = time.perf_counter() - t_start
        ingest_done = ingest.poll() is not None
        ingest.wait()
        t_ingest = time.perf_counter() - t_start
        n_after = httpx.get(base + "/api/v1/health").json()
        # stories the concurrent ingest created: listed and served by the running server, no restart
        listed = httpx.get(base + "/api/v1/stories", params={"limit": 200}, timeout=60).json()["items"]
        fresh = [s["id"] for s in listed if s["id"] not in state["initial"]]
        fresh_ok = sum(httpx.get(f"{base}/stories/{sid}", timeout=60).status_code == 200 for sid in fresh[:20])
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    lat = [r[0] * 1000 for r in rec]
    statuses: dict = {}
    for _, s, _ in rec:
        statuses[s] = statuses.get(s, 0) + 1
    n5xx = sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500)
    nerr = sum(v for k, v in statuses.items() if not isinstance(k, int))
    by_kind: dict = {}
    for t, _, kind in rec:
        by_kind.setdefault(kind, []).append(t * 1000)
    new_seen = len(state["seen"] - state["initial"])

    print(f"web desk load: {args.clients} clients for {args.seconds:.0f} s on loopback while `storylens ingest` "
          f"adds {args.live} articles (extras {'off' if args.no_extras else 'on'})")
    print(f"  database before: {n_before['articles']} articles, {n_before['stories']} stories "
          f"(initial ingest {t_initial:.1f} s); after: {n_after['articles']} articles, {n_after['stories']} stories")
    print(f"  concurrent ingest {'finished' if ingest_done else 'still running'} within the window; "
          f"it took {t_ingest:.1f} s in all")
    print(f"  {'':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = [("all", lat)] + [(k, v) for k, v in sorted(by_kind.items())]
    names = {"stories": "story page", "list": "story list", "api": "API story"}
    for k, v in rows:
        print(f"  {names.get(k, k):<22}{len(v):>9}{len(v) / wall:>8.1f}{pct(v, 50):>9.0f}{pct(v, 90):>9.0f}"
              f"{pct(v, 99):>9.0f}{max(v) if v else float('nan'):>9.0f}")
    print(f"  status counts: {dict(sorted(statuses.items(), key=str))}")
    print(f"  5xx: {n5xx}   connection errors: {nerr}")
    print(f"  new stories: {new_seen} seen by the clients during the run; after it, {len(fresh)} of the newest 200 "
          f"are new and {fresh_ok} of {min(20, len(fresh))} of their pages served 200 (no restart)")
    return 1 if (n5xx or nerr or (fresh and fresh_ok < min(20, len(fresh)))) else 0


if __name__ == "__main__":
    sys.exit(main())
