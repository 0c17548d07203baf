"""The web desk (HTML pages) and the JSON API under ``/api/v1``, over one storylens database.

Pages: ``/`` (stories, newest first, with filters), ``/stories/{story_id}`` (articles side by
side, shared passages in one colour per passage, unique passages marked, reuse graph,
timeline, quotes, event record with a map), ``/articles/{article_id}`` (clean text, removed
page chrome, metadata, duplicates) and ``/search?q=``. API: ``/api/v1/health``,
``/api/v1/stories``, ``/api/v1/stories/{id}``, ``/api/v1/articles/{id}``, ``/api/v1/search``,
``POST /api/v1/articles``; the OpenAPI document is ``/api/v1/openapi.json``.

Safety: article text is untrusted. Templates escape everything, pages carry no script at
all and a Content-Security-Policy that forbids scripts. Writes need ``Authorization: Bearer
TOKEN`` (``$STORYLENS_TOKEN``, or the token file ``DB.token`` created on first run). Reads are
open when the server is bound to loopback (and then only for loopback ``Host`` names), or when
``$STORYLENS_OPEN_READS=1``; otherwise they need the token too (header, or the cookie that
``/login`` sets). Request bodies are limited in size; bad bodies get a 4xx with a reason.

Concurrency: each worker thread has its own SQLite connection (WAL), every page reads one
consistent snapshot, so the desk keeps serving while ``storylens ingest`` writes from another
process and new stories appear without a restart. ``POST`` goes through
:meth:`storylens.pipeline.Pipeline.writing` (file lock, replay of other writers' articles).
Quotes and the event record (NLP, slow on first use) are computed in one separate worker
process (so spaCy never holds the server's GIL) and cached; a page waits for them at most
``extras_wait`` seconds, then renders without them and says so.

>>> app = create_app("/tmp/desk-doctest.db", token="t0ken")        # doctest: +SKIP
>>> from fastapi.testclient import TestClient                       # doctest: +SKIP
>>> TestClient(app, base_url="http://127.0.0.1").get("/api/v1/health").json()["status"]  # doctest: +SKIP
'ok'
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import fcntl
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections import OrderedDict
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException

from ..errors import InputError, NotFoundError, StorylensError, StoreError, ValidationError
from ..store import Store
from . import svg

log = logging.getLogger("storylens.web")

WEB_DIR = Path(__file__).resolve().parent
API = "/api/v1"
MAX_BODY = int(os.environ.get("STORYLENS_MAX_BODY", 5 * 1024 * 1024))
MAX_ARTICLES = 500
MAX_QUEUE = 8  # story extras (quotes/event) jobs queued at most
PAGE_SIZE = 25
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ------------------------------------------------------------------ settings
def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _env_flag(name: str) -> bool | None:
    v = os.environ.get(name)
    if v is None or v.strip() == "":
        return None
    return v.strip().lower() in ("1", "true", "yes", "on")


def token_path(db_path: str) -> Path:
    """Where the write token of a database lives: next to it, named ``DB.token``.

    >>> str(token_path("/data/news.db"))
    '/data/news.db.token'
    """
    p = Path(db_path).expanduser()
    return p.with_name(p.name + ".token")


def resolve_token(db_path: str) -> tuple[str, str | None]:
    """The API token: ``$STORYLENS_TOKEN`` when set, else the token file next to the database,
    created (mode 600) on first use. Returns ``(token, path_if_just_created)``.

    >>> resolve_token("/tmp/x.db")                   # doctest: +SKIP
    ('k3J…', '/tmp/x.db.token')
    """
    env = os.environ.get("STORYLENS_TOKEN", "").strip()
    if env:
        return env, None
    path = token_path(db_path)
    try:
        tok = path.read_text(encoding="utf-8").strip()
        if tok:
            return tok, None
    except FileNotFoundError:
        pass
    tok = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return path.read_text(encoding="utf-8").strip(), None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(tok + "\n")
    return tok, str(path)


# --------------------------------------------------------------- middleware
class SecurityHeaders:
    """ASGI middleware: CSP and friends on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["Content-Security-Policy"] = CSP
                h["X-Content-Type-Options"] = "nosniff"
                h["Referrer-Policy"] = "no-referrer"
                h["X-Frame-Options"] = "DENY"
                h.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ----------------------------------------------------------------- rendering
from ..report import _paragraphs  # noqa: E402 - one paragraph splitter for the report and the desk


def _segments(text: str, spans: list[tuple]) -> list[tuple]:
    """Consecutive segments of ``text`` labelled (group, unique): the report's segmenter."""
    try:
        from ..report import segments
    except ImportError:  # pragma: no cover - report module absent: no highlights
        return [(0, len(text), None, False)] if text else []
    return segments(text, spans)


def render_text(text: str, spans: list[tuple] | None = None, outlet: str = "", group_outlets=None,
                segs: list[tuple] | None = None) -> list[list[dict]]:
    """Paragraphs of pieces ``{text, group, unique, tag, title}`` for a template to wrap in marks.

    ``spans`` are ``(start, end, group, is_unique)`` (or pass ready ``segs`` from the segmenter).

    >>> [[p["text"] for p in para] for para in render_text("One two.\\n\\nThree.", [(0, 3, 0, False)])]
    [['One', ' two.'], ['Three.']]
    """
    if segs is None:
        segs = _segments(text, spans or [])
    group_outlets = group_outlets or {}
    paras = []
    for p0, p1 in _paragraphs(text):
        pieces = []
        for s, e, group, unique in segs:
            if e <= p0 or s >= p1:
                continue
            a, b = max(s, p0), min(e, p1)
            piece = {"text": text[a:b], "group": group, "unique": unique, "tag": None, "title": None}
            if group is not None:
                others = [o for o in group_outlets.get(group, []) if o != outlet]
                piece["title"] = f"shared passage {group + 1}" + (f", also in {', '.join(others)}" if others else "")
            elif unique:
                piece["title"] = f"only in {outlet}"
                if a == s:
                    piece["tag"] = f"only in {outlet}"
            pieces.append(piece)
        paras.append(pieces)
    return paras


def build_columns(view: dict, selected: list[str]) -> tuple[list[dict], list[dict]]:
    """Side-by-side columns for the selected articles of a story view, and the colour legend.

    Only passages between two selected articles are highlighted; text of a column that no such
    passage covers is marked unique (relative to the selection).
    """
    from ..views import unique_passages

    arts = {a["id"]: a for a in view["articles"]}
    sel = [i for i in selected if i in arts]
    sel_set = set(sel)
    passages = [p for p in view["passages"] if p["article_a"] in sel_set and p["article_b"] in sel_set]
    spans: dict[str, list[tuple]] = {i: [] for i in sel}
    group_outlets: dict[int, list[str]] = {}
    for p in passages:
        g = int(p.get("group") or 0)
        for side in ("a", "b"):
            aid = p["article_" + side]
            spans[aid].append((p["start_" + side], p["end_" + side], g, False))
            name = arts[aid].get("outlet") or aid
            if name not in group_outlets.setdefault(g, []):
                group_outlets[g].append(name)
    if len(sel) > 1:
        if len(sel) == len(arts) and len(passages) == len(view["passages"]):
            uniq = view["unique"]  # the whole story is shown: its unique passages hold as they are
        else:
            uniq = unique_passages({i: arts[i]["text"] for i in sel}, passages)
        for u in uniq:
            spans[u["article"]].append((u["start"], u["end"], None, True))
    cols = []
    for i in sel:
        a = arts[i]
        text = a["text"] or ""
        outlet = a.get("outlet") or i
        segs = _segments(text, spans[i])
        n = max(len(text), 1)
        shared = sum(e - s for s, e, g, _ in segs if g is not None)
        unique = sum(e - s for s, e, g, u in segs if g is None and u)
        cols.append(
            dict(a, name=outlet, paragraphs=render_text(text, outlet=outlet, group_outlets=group_outlets, segs=segs),
                 shared_pct=f"{shared / n:.0%}", unique_pct=f"{unique / n:.0%}", n_words=len(text.split()))
        )
    legend = [{"group": g, "outlets": group_outlets[g]} for g in sorted(group_outlets)]
    return cols, legend


def snippet_pieces(snippet: str | None) -> list[tuple[str, bool]]:
    """Split an FTS snippet with \\x02/\\x03 markers into (text, is_match) pieces.

    >>> snippet_pieces("a \\x02drone\\x03 strike")
    [('a ', False), ('drone', True), (' strike', False)]
    """
    out: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(r"[\x02\x03]", snippet or "")):
        if part:
            out.append((part, i % 2 == 1))
    return out


def _safe_url(url: Any) -> str | None:
    if isinstance(url, str) and _SAFE_URL.match(url.strip()):
        return url.strip()
    return None


def _check_date(value: str | None, name: str) -> str | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    ok = bool(_DATE.match(value))
    if ok:
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            ok = False
    if not ok:
        raise ValidationError(f"parameter '{name}' must be a date like 2024-02-07, got {value[:40]!r}")
    return value


def group_css(n: int = 64) -> str:
    """The stylesheet that gives shared-passage group ``g`` its colour (class ``g{g % n}``),
    the same colours the static report uses."""
    try:
        from ..report import group_colour
    except ImportError:  # pragma: no cover
        def group_colour(g: int) -> str:
            return f"hsl({(g * 137.508) % 360:.0f}, 70%, 85%)"
    rules = [f".g{g}{{background:{group_colour(g)}}}" for g in range(n)]
    return "\n".join(rules) + "\n"


# ------------------------------------------------------- extras (own process)
def _extras_job(db_path: str, sid: str) -> dict:
    """Quotes and event record of one story (runs in the extras process; never raises)."""
    from ..views import story_event, story_quotes

    out: dict[str, Any] = {"quotes": [], "event": None, "notes": []}
    with Store(db_path, timeout=60.0) as st:
        try:
            out["quotes"] = story_quotes(st, sid)
        except Exception as e:  # the quotes stage may be absent or fail; the page still renders
            out["notes"].append(f"quotes unavailable ({type(e).__name__}: {e})")
        try:
            out["event"] = story_event(st, sid)
        except Exception as e:
            out["notes"].append(f"event record unavailable ({type(e).__name__}: {e})")
    return out


def _lower_priority() -> None:
    """Background NLP yields the CPU to the request threads (nice 10)."""
    try:
        os.nice(10)
    except OSError:  # pragma: no cover
        pass


def _warm_up() -> None:
    """Load the NLP model in the extras process before the first story page needs it."""
    try:
        from ..nlp import get_nlp

        get_nlp()
    except Exception:  # pragma: no cover - the job reports failures itself
        pass


# ----------------------------------------------------------------- the desk
class Desk:
    """Per-app state: settings, per-thread stores, the writer pipeline, the extras worker."""

    def __init__(self, db_path: str, host: str, token: str, open_reads: bool, loopback_only_hosts: bool,
                 max_body: int, extras: bool, extras_wait: float):
        self.db_path = str(db_path)
        self.host = host
        self.token = token
        self.open_reads = open_reads
        self.loopback_only_hosts = loopback_only_hosts
        self.max_body = max_body
        self.extras_enabled = extras
        self.extras_wait = extras_wait
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._pipe = None
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: dict[tuple, Future] = {}
        self._cache: OrderedDict[str, tuple[tuple, dict]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.groups_css = group_css()
        self.env = Environment(loader=FileSystemLoader(str(WEB_DIR / "templates")), autoescape=True,
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(api=API)

    # stores ------------------------------------------------------------
    def store(self) -> Store:
        """This thread's connection (opened on first use; WAL readers never block the writer)."""
        st = getattr(self._local, "store", None)
        if st is None:
            st = Store(self.db_path, readonly=True, timeout=10.0)
            self._local.store = st
        return st

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._pipe is not None:
            try:
                self._pipe.store.close()
            except Exception:  # pragma: no cover
                pass

    # auth --------------------------------------------------------------
    def token_ok(self, request: Request, allow_cookie: bool) -> bool:
        auth = request.headers.get("authorization", "")
        given = None
        if auth[:7].lower() == "bearer ":
            given = auth[7:].strip()
        elif allow_cookie:
            given = request.cookies.get("storylens_token")
        return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode("utf-8"))

    def outlets(self, st: Store) -> list[dict]:
        """Outlets for the filter menu, cached for 30 s (a scan of all articles)."""
        now = time.monotonic()
        cached = getattr(self, "_outlets", None)
        if cached is None or now - cached[0] > 30:
            cached = (now, st.outlets())
            self._outlets = cached
        return cached[1]

    # extras: quotes and event -----------------------------------------
    def _submit(self, fn, *args) -> Future:
        if self._pool is None:
            # a separate process: spaCy work would otherwise hold the GIL and stall every request thread
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_lower_priority)
        return self._pool.submit(fn, *args)

    async def extras(self, sid: str, stamp: tuple) -> dict:
        """Quotes and event of a story. Waits (without holding a thread) at most ``extras_wait`` s
        and only when the worker is not busy; beyond ``MAX_QUEUE`` jobs nothing more is queued.
        Otherwise the result says ``pending`` and the page renders without them."""
        if not self.extras_enabled:
            return {"quotes": [], "event": None, "notes": [], "pending": False, "off": True}
        pending = {"quotes": [], "event": None, "notes": [], "pending": True}
        with self._cache_lock:
            hit = self._cache.get(sid)
            if hit and hit[0] == stamp:
                self._cache.move_to_end(sid)
                return dict(hit[1], pending=False)
            key = (sid, stamp)
            fut = self._inflight.get(key)
            if fut is None:
                if len(self._inflight) >= MAX_QUEUE:
                    return pending
                fut = self._submit(_extras_job, self.db_path, sid)
                self._inflight[key] = fut

                def done(f: Future, key=key) -> None:
                    with self._cache_lock:
                        self._inflight.pop(key, None)
                        if not f.cancelled() and f.exception() is None:
                            self._cache[key[0]] = (key[1], f.result())
                            self._cache.move_to_end(key[0])
                            while len(self._cache) > 2048:
                                self._cache.popitem(last=False)

                fut.add_done_callback(done)
            busy = len(self._inflight)
        wait = self.extras_wait if busy <= 2 else 0.0
        try:
            result = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), timeout=wait) \
                if wait > 0 or fut.done() else None
        except asyncio.TimeoutError:
            return pending
        except Exception as e:  # pragma: no cover - the job catches its own failures
            return {"quotes": [], "event": None, "notes": [f"unavailable ({e})"], "pending": False}
        return pending if result is None else dict(result, pending=False)

    def warm_up(self) -> None:
        """Load the NLP model in the background so the first story page does not wait for it."""

        if self.extras_enabled:
            self._submit(_warm_up)

    # reads -------------------------------------------------------------
    def story_page_data(self, story_id: str) -> tuple[dict, tuple]:
        """One consistent snapshot of a story view (without quotes/event) and its stamp."""
        from ..views import story_view

        st = self.store()
        with st.transaction(immediate=False):
            view = story_view(st, story_id, with_quotes=False, with_event=False)
            stamp = st.story_stamp(view["story"]["id"])
        return view, stamp

    async def full_story(self, story_id: str) -> tuple[dict, dict]:
        view, stamp = await run_in_threadpool(self.story_page_data, story_id)
        extras = await self.extras(view["story"]["id"], stamp)
        view["quotes"] = extras["quotes"]
        view["event"] = extras["event"]
        return view, extras

    # writes ------------------------------------------------------------
    def _wait_for_writer(self, seconds: float) -> None:
        """Wait until no other process holds the writer lock (so ``writing()`` will not hang)."""
        lock_path = self.db_path + ".lock"
        deadline = time.monotonic() + seconds
        with open(lock_path, "a+") as f:
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(f, fcntl.LOCK_UN)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"another process is writing to {self.db_path}; try again when its ingest ends"
                        )
                    time.sleep(0.2)

    def ingest(self, docs: list) -> dict:
        """Add raw documents through the pipeline; returns each one's status and story."""
        from ..pipeline import IngestStats, Pipeline, article_id

        with self._write_lock:
            self._wait_for_writer(20.0)
            if self._pipe is None:
                self._pipe = Pipeline(Store(self.db_path, timeout=60.0), extract=False)
            pipe = self._pipe
            stats = IngestStats()
            with pipe.writing():
                ids = [article_id(d) for d in docs]
                added = {a.id: a for a in pipe.add_docs(docs, stats)}
                st = pipe.store
                items = []
                for d, aid in zip(docs, ids):
                    row = st.article(aid) if st.has_article(aid) else None
                    if aid in added:
                        status = "duplicate" if added[aid].duplicate_of else "new"
                    elif row is not None and row.raw_text == d.text:
                        status = "already"
                    else:
                        status = "rejected"
                    item: dict[str, Any] = {"id": aid, "status": status, "source": d.source}
                    if status == "rejected":
                        item["message"] = (f"{d.source}: id {aid!r} is already stored with a different text; "
                                           "give each article a unique id")
                    elif row is not None:
                        item.update(story_id=row.story_id, story_url=f"/stories/{row.story_id}",
                                    article_url=f"/articles/{aid}", duplicate_of=row.duplicate_of,
                                    duplicate_kind=row.duplicate_kind, story_similarity=row.story_similarity)
                    items.append(item)
        counts = {k: sum(1 for i in items if i["status"] == k) for k in ("new", "duplicate", "already", "rejected")}
        return {"articles": items, **counts, "stories_new": stats.stories_new}


# ----------------------------------------------------------------- the app
def create_app(
    db_path: str,
    host: str = "127.0.0.1",
    token: str | None = None,
    open_reads: bool | None = None,
    max_body: int = MAX_BODY,
    extras: bool = True,
    extras_wait: float = 2.0,
    threads: int | None = None,
) -> FastAPI:
    """The FastAPI app over the database at ``db_path`` (created empty when missing).

    ``token``: the write token (default: :func:`resolve_token`). ``open_reads``: serve reads
    without the token (default: ``$STORYLENS_OPEN_READS``, else only when ``host`` is loopback).
    ``extras``: compute quotes and event records for story pages. ``threads``: worker threads
    for requests (default ``$STORYLENS_THREADS``, else 8).

    >>> app = create_app("/tmp/desk.db", token="secret")       # doctest: +SKIP
    >>> app.openapi()["info"]["title"]                           # doctest: +SKIP
    'storylens'
    """
    Store(db_path).close()  # create or migrate the database before serving it
    if token is None:
        token, created = resolve_token(db_path)
        if created:
            print(f"storylens: wrote a new API token to {created} (mode 600); send it as "
                  f"'Authorization: Bearer {token}' to write", file=sys.stderr, flush=True)
    if threads is None:
        try:
            threads = int(os.environ.get("STORYLENS_THREADS", "8"))
        except ValueError:
            raise ValidationError("STORYLENS_THREADS must be a whole number of threads, e.g. 8")
    env_open = _env_flag("STORYLENS_OPEN_READS")
    explicit = open_reads if open_reads is not None else env_open
    loop = is_loopback(host)
    desk = Desk(
        db_path, host, token,
        open_reads=explicit if explicit is not None else loop,
        loopback_only_hosts=explicit is None and loop,
        max_body=max_body, extras=extras, extras_wait=extras_wait,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if threads:
            # a small FIFO pool of worker threads keeps tail latency down under load (less GIL convoying)
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        desk.close()

    from .. import __version__ as version

    app = FastAPI(
        title="storylens",
        version=str(version),
        description="Stories, shared passages, quotes and events over a storylens database. "
        "Writes need `Authorization: Bearer TOKEN`.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.desk = desk
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    # ---------------------------------------------------------- errors
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith(API) or request.url.path.startswith("/api/")

    def error_response(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
        if wants_json(request):
            return JSONResponse({"error": {"status": status, "message": message}}, status_code=status,
                                headers=headers)
        html = desk.env.get_template("error.html.j2").render(status=status, message=message, q="")
        return HTMLResponse(html, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"nothing at {request.url.path[:200]}; the stories are listed at /"
        if exc.status_code == 405:
            msg = f"method {request.method} is not allowed on {request.url.path[:200]}"
        return error_response(request, exc.status_code, msg, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            loc = [str(x) for x in e.get("loc", ())]
            where = f"{loc[0]} parameter '{'.'.join(loc[1:])}'" if len(loc) > 1 else ".".join(loc)
            parts.append(f"{where}: {e.get('msg')}")
        return error_response(request, 422, "; ".join(parts) or "invalid request")

    @app.exception_handler(StorylensError)
    async def storylens_error(request: Request, exc: StorylensError):
        if isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, StoreError):
            status = 503
        else:
            status = 400
        return error_response(request, status, str(exc))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return error_response(request, 500, "internal error; the server log has the details")

    # ---------------------------------------------------------- guards
    def check_host(request: Request) -> None:
        if not desk.loopback_only_hosts:
            return
        name = (request.headers.get("host") or "").lower()
        if name.startswith("["):
            name = name[: name.find("]") + 1]
        else:
            name = name.rsplit(":", 1)[0] if ":" in name else name
        if name not in _LOOPBACK_NAMES and name != desk.host:
            raise HTTPException(400, f"unexpected Host {name[:60]!r}: this desk serves loopback names only")

    def require_read(request: Request) -> None:
        check_host(request)
        if desk.open_reads or desk.token_ok(request, allow_cookie=True):
            return
        if wants_json(request):
            raise HTTPException(401, "reads need 'Authorization: Bearer TOKEN' on this server",
                                headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(401, "this desk needs its token: sign in at /login")

    def require_write(request: Request) -> None:
        check_host(request)
        if not desk.token_ok(request, allow_cookie=False):
            raise HTTPException(401, "writes need 'Authorization: Bearer TOKEN' (the server's token file or "
                                "$STORYLENS_TOKEN)", headers={"WWW-Authenticate": "Bearer"})

    read = [Depends(require_read)]

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("q", "")
        return HTMLResponse(desk.env.get_template(name).render(**ctx), status_code=status)

    # ---------------------------------------------------------- pages
    @app.get("/groups.css", include_in_schema=False)
    def groups_css() -> Response:
        return Response(desk.groups_css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/", include_in_schema=False, dependencies=read)
    @app.get("/stories", include_in_schema=False, dependencies=read)
    def stories_page(
        q: str = "", since: str = "", until: str = "", outlet: str = "", entity: str = "",
        offset: int = Query(0, ge=0, le=1_000_000),
    ):
        error = None
        try:
            s0, u0 = _check_date(since, "since"), _check_date(until, "until")
        except ValidationError as e:
            error, s0, u0 = str(e), None, None
        st = desk.store()
        with st.transaction(immediate=False):
            rows = st.stories(limit=PAGE_SIZE + 1, offset=offset, outlet=outlet[:200] or None, since=s0, until=u0,
                              entity=entity[:200] or None, query=q[:500] or None)
            more = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            for r in rows:
                r["spark"] = svg.sparkline(st.story_timeline(r["id"]), r["first_date"], r["last_date"])
            outlets = desk.outlets(st)
            totals = {"stories": st.count_stories(), "articles": st.count_articles()}
        filters = {"q": q, "since": since, "until": until, "outlet": outlet, "entity": entity}
        base = {k: v for k, v in filters.items() if v}

        def link(off: int) -> str:
            return "/?" + urlencode(dict(base, offset=off)) if off or base else "/"

        return page("stories.html.j2", status=400 if error else 200, stories=rows, outlets=outlets, totals=totals,
                    filters=filters, filtered=bool(base), error=error, offset=offset,
                    prev_link=link(max(0, offset - PAGE_SIZE)) if offset else None,
                    next_link=link(offset + PAGE_SIZE) if more else None)

    @app.get("/stories/{story_id}", include_in_schema=False, dependencies=read)
    async def story_page(story_id: str, a: list[str] = Query(default=[])):
        view, extras = await desk.full_story(story_id)
        return await run_in_threadpool(render_story, view, extras, a)

    def render_story(view: dict, extras: dict, a: list[str]) -> HTMLResponse:
        ids = [x["id"] for x in view["articles"]]
        chosen = [i for i in dict.fromkeys(a) if i in ids]
        if not chosen:
            chosen = ids[:3] if len(ids) > 4 else ids
        cols, legend = build_columns(view, chosen)
        ev = view.get("event") or None
        place = (ev or {}).get("place") or {}
        ev_map = None
        if place.get("lat") is not None and place.get("lon") is not None:
            name = " ".join(x for x in (place.get("qualifier"), place.get("name")) if x)
            ev_map = svg.event_map(place["lat"], place["lon"], name)
        return page(
            "story.html.j2", v=view, cols=cols, legend=legend, chosen=set(chosen), extras=extras,
            reuse_svg=svg.reuse_graph(view["articles"], view["reuse"]),
            timeline_svg=svg.timeline_chart(view["articles"]), event=ev, place=place, event_map=ev_map,
            names={x["id"]: (x.get("outlet") or x["id"]) for x in view["articles"]},
        )

    @app.get("/articles/{article_id}", include_in_schema=False, dependencies=read)
    def article_page(article_id: str):
        st = desk.store()
        with st.transaction(immediate=False):
            art = st.article(article_id)
            dups = st.duplicates_of(art.id)
            original = None
            if art.duplicate_of:
                try:
                    original = st.article(art.duplicate_of)
                except NotFoundError:
                    original = None
            story = None
            if art.story_id:
                try:
                    story = st.story(art.story_id)
                except NotFoundError:
                    story = None
        return page("article.html.j2", a=art, paragraphs=render_text(art.text), dups=dups, original=original,
                    story=story, safe_url=_safe_url(art.url))

    @app.get("/search", include_in_schema=False, dependencies=read)
    def search_page(q: str = "", offset: int = Query(0, ge=0, le=1_000_000)):
        q = q[:500]
        st = desk.store()
        hits, stories = [], []
        if q.strip():
            with st.transaction(immediate=False):
                hits = st.search(q, limit=PAGE_SIZE + 1, offset=offset)
                stories = st.stories(limit=10, query=q) if offset == 0 else []
        more = len(hits) > PAGE_SIZE
        hits = hits[:PAGE_SIZE]
        for h in hits:
            h["pieces"] = snippet_pieces(h.get("snippet"))
        return page("search.html.j2", q=q, hits=hits, stories=stories, offset=offset,
                    next_link=f"/search?{urlencode({'q': q, 'offset': offset + PAGE_SIZE})}" if more else None,
                    prev_link=f"/search?{urlencode({'q': q, 'offset': max(0, offset - PAGE_SIZE)})}" if offset else None)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request):
        check_host(request)
        return page("login.html.j2", failed=False)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        check_host(request)
        body = await read_body(request, 4096)
        fields = parse_qs(body.decode("utf-8", "replace"))
        given = (fields.get("token") or [""])[0].strip()
        if not given or not hmac.compare_digest(given.encode(), desk.token.encode()):
            return page("login.html.j2", status=401, failed=True)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie("storylens_token", given, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
        return resp

    # ---------------------------------------------------------- API
    @app.get(f"{API}/health", tags=["meta"], summary="Is the server up and the database readable?")
    def health():
        st = desk.store()
        return {"status": "ok", "schema": st.schema_version(), "articles": st.count_articles(),
                "stories": st.count_stories()}

    @app.get(f"{API}/stories", tags=["stories"], dependencies=read, summary="List or search stories, newest first")
    def api_stories(
        q: str | None = Query(None, max_length=500, description="words that some article of the story contains"),
        since: str | None = Query(None, description="stories with reports on or after this date (YYYY-MM-DD)"),
        until: str | None = Query(None, description="stories with reports on or before this date (YYYY-MM-DD)"),
        outlet: str | None = Query(None, max_length=200),
        entity: str | None = Query(None, max_length=200, description="a name mentioned in the story's text"),
        limit: int = Query(PAGE_SIZE, ge=1, le=200),
        offset: int = Query(0, ge=0, le=1_000_000),
    ):
        s0, u0 = _check_date(since, "since"), _check_date(until, "until")
        st = desk.store()
        with st.transaction(immediate=False):
            rows = st.stories(limit=limit + 1, offset=offset, outlet=outlet or None, since=s0, until=u0,
                              entity=entity or None, query=q or None)
        more = len(rows) > limit
        items = []
        for r in rows[:limit]:
            r = {k: v for k, v in r.items() if k not in ("label_article",)}
            r["url"] = f"{API}/stories/{r['id']}"
            items.append(r)
        return {"items": items, "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}

    @app.get(f"{API}/stories/{{story_id}}", tags=["stories"], dependencies=read,
             summary="One story: articles, shared and unique passages, reuse, timeline, quotes, event")
    async def api_story(story_id: str, text: bool = Query(True, description="include each article's clean text")):
        view, extras = await desk.full_story(story_id)
        if not text:
            for a in view["articles"]:
                a.pop("text", None)
        view["pending"] = extras.get("pending", False)
        if extras.get("notes"):
            view["notes"] = extras["notes"]
        return view

    @app.get(f"{API}/articles/{{article_id}}", tags=["articles"], dependencies=read,
             summary="One article: clean and raw text, removed page chrome, metadata, duplicates")
    def api_article(article_id: str):
        st = desk.store()
        with st.transaction(immediate=False):
            art = st.article(article_id)
            dups = st.duplicates_of(art.id)
        d = art.to_dict()
        d["duplicates"] = dups
        d["story_url"] = f"{API}/stories/{art.story_id}" if art.story_id else None
        return d

    @app.get(f"{API}/search", tags=["articles"], dependencies=read,
             summary="Full-text search over article titles and texts (words, not query syntax)")
    def api_search(
        q: str = Query(..., min_length=1, max_length=500),
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0, le=1_000_000),
    ):
        st = desk.store()
        rows = st.search(q, limit=limit + 1, offset=offset)
        more = len(rows) > limit
        items = []
        for r in rows[:limit]:
            pieces = snippet_pieces(r.pop("snippet", ""))
            r["snippet"] = "".join(t for t, _ in pieces)
            marks, pos = [], 0
            for t, hit in pieces:
                if hit:
                    marks.append([pos, pos + len(t)])
                pos += len(t)
            r["snippet_matches"] = marks
            r["url"] = f"{API}/articles/{r['id']}"
            items.append(r)
        return {"items": items, "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}

    async def read_body(request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                raise HTTPException(400, "Content-Length is not a number")
            if n > limit:
                raise HTTPException(413, f"request body of {n} bytes is over the limit of {limit} bytes; "
                                    "send fewer articles per request")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"request body is over the limit of {limit} bytes; "
                                    "send fewer articles per request")
            chunks.append(chunk)
        return b"".join(chunks)

    article_schema = {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "description": "the article text (page text; chrome is cleaned out)"},
            "id": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
            "outlet": {"type": "string"}, "published": {"type": "string", "description": "YYYY-MM-DD"},
        },
    }

    @app.post(
        f"{API}/articles", tags=["articles"], dependencies=[Depends(require_write)],
        summary="Ingest one or many articles (same fields as JSONL input); returns their story assignment",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"oneOf": [
                    article_schema,
                    {"type": "array", "items": article_schema, "maxItems": MAX_ARTICLES},
                    {"type": "object", "required": ["articles"],
                     "properties": {"articles": {"type": "array", "items": article_schema}}},
                ]}}},
            }
        },
    )
    async def api_post_articles(request: Request):
        from ..read.jsonl import parse_record

        body = await read_body(request, desk.max_body)
        if not body.strip():
            raise HTTPException(400, "request body is empty; send a JSON article object or a list of them")
        try:
            obj = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise HTTPException(400, "request body is not UTF-8 text; send JSON encoded as UTF-8")
        except json.JSONDecodeError as e:
            raise HTTPException(400, f"request body is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})")
        except (RecursionError, ValueError) as e:
            raise HTTPException(400, f"request body cannot be read as JSON ({type(e).__name__})")
        if isinstance(obj, dict) and "articles" in obj:
            items = obj["articles"]
            if not isinstance(items, list):
                raise HTTPException(422, "field 'articles' must be a list of article objects")
        elif isinstance(obj, list):
            items = obj
        else:
            items = [obj]
        if not items:
            raise HTTPException(422, "no articles in the request body")
        if len(items) > MAX_ARTICLES:
            raise HTTPException(413, f"{len(items)} articles in one request; send at most {MAX_ARTICLES}")
        docs = []
        for i, item in enumerate(items):
            try:
                doc = parse_record(item, f"body[{i}]", fmt="api")
            except InputError as e:
                raise HTTPException(422, str(e))
            docs.append(doc)
        return await run_in_threadpool(desk.ingest, docs)

    return app


def run_server(db_path: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the desk with uvicorn until interrupted (``storylens serve``).

    Settings from the environment: ``STORYLENS_TOKEN`` (write token), ``STORYLENS_OPEN_READS=1``
    (reads without the token off loopback), ``STORYLENS_EXTRAS=0`` (no quotes/event records on
    story pages), ``STORYLENS_EXTRAS_WAIT`` (seconds a page waits for them, default 2),
    ``STORYLENS_MAX_BODY`` (request body limit in bytes, default 5 MiB).

    >>> run_server("seeds.db", "127.0.0.1", 8000)   # doctest: +SKIP
    """
    import uvicorn

    extras = _env_flag("STORYLENS_EXTRAS")
    try:
        wait = float(os.environ.get("STORYLENS_EXTRAS_WAIT", "2"))
    except ValueError:
        raise ValidationError("STORYLENS_EXTRAS_WAIT must be a number of seconds, e.g. 2")
    app = create_app(db_path, host=host, extras=extras is not False, extras_wait=wait)
    desk: Desk = app.state.desk
    desk.warm_up()
    where = f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
    reads = "open" if desk.open_reads else "need the token"
    print(f"storylens: serving {db_path} at {where} (API {where.rstrip('/')}{API}; reads {reads}; "
          f"writes need the token from {'$STORYLENS_TOKEN' if os.environ.get('STORYLENS_TOKEN') else token_path(db_path)})",
          file=sys.stderr, flush=True)
    if not desk.open_reads and not is_loopback(host):
        print("storylens: reads need the token on this address; set STORYLENS_OPEN_READS=1 to open them",
              file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)


__all__ = ["create_app", "run_server", "resolve_token", "token_path", "is_loopback", "build_columns", "render_text",
           "snippet_pieces"]
