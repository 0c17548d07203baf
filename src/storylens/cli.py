"""The ``storylens`` command: thin shells over the library.

Every command parses its arguments, calls the library and renders the result.
User errors become one line on stderr and a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import StorylensError

app = typer.Typer(
    help=(
        "storylens: group news articles into stories, find copies and who copied whom, show what outlets share "
        "and what each adds, who said what, and what happened where and when.\n\n"
        "The database is ./storylens.db unless --db or $STORYLENS_DB says otherwise."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOpt = typer.Option(None, "--db", help="SQLite database file [default: ./storylens.db or $STORYLENS_DB].")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _db(db: Optional[str]) -> str:
    from .store import default_db_path

    return db or default_db_path()


def _open(db: Optional[str], readonly: bool = True):
    from .store import Store

    return Store(_db(db), readonly=readonly)


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


# ---------------------------------------------------------------------- ingest
@app.command()
def ingest(
    paths: List[Path] = typer.Argument(..., help="Files and folders (read recursively): .txt .html .jsonl .warc(.gz)"),
    db: Optional[str] = DbOpt,
    no_extract: bool = typer.Option(
        False, "--no-extract", help="Skip quote extraction (the fast path: read, clean, dedup, stories, align)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar; print only problems and the summary."),
    as_json: bool = JsonOpt,
):
    """Read articles into the database: clean, find copies, group into stories, align passages.

    Example: storylens ingest ../shared/seeds --db seeds.db
    """
    from .pipeline import Pipeline
    from .store import Store

    store = Store(_db(db))
    # a CLI ingest is its own process: it may keep its long-lived state out of the garbage collector's walks
    pipe = Pipeline(store, extract=not no_extract, freeze_gc=True)
    show_bar = not quiet and not as_json and err.is_terminal
    failures: list[str] = []

    def on_failure(msg: str) -> None:
        failures.append(msg)
        if not as_json:
            err.print(Text("skipped " + msg, style="yellow"))

    def wait(msg: str) -> None:
        err.print(Text(msg, style="yellow"))

    if show_bar:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(), TextColumn("[bold]ingest[/bold] {task.completed:,.0f} documents"),
            TextColumn("({task.fields[rate]:,.0f}/s)"), TimeElapsedColumn(), console=err, transient=True,
        ) as bar:
            task = bar.add_task("ingest", total=None, rate=0.0)

            def advance(n: int) -> None:
                bar.advance(task, n)
                t = bar.tasks[0]
                if t.elapsed:
                    bar.update(task, rate=t.completed / t.elapsed)

            stats = pipe.ingest(paths, on_failure, advance, wait)
    else:
        stats = pipe.ingest(paths, on_failure, None, wait)
    store.close()
    if as_json:
        _print_json(
            {
                "read": stats.read, "new": stats.new, "duplicate": stats.duplicate, "already": stats.already,
                "failed": stats.failed, "stories_new": stats.stories_new, "failures": stats.failures,
                "seconds": round(stats.seconds, 3),
            }
        )
    else:
        err.print(f"{stats.summary()} in {stats.seconds:.1f} s → {_db(db)}")
    if stats.read == 0 and stats.failed > 0:
        raise typer.Exit(1)


# --------------------------------------------------------------------- stories
@app.command()
def stories(
    db: Optional[str] = DbOpt,
    limit: int = typer.Option(50, "--limit", "-n", help="How many stories (newest first)."),
    outlet: Optional[str] = typer.Option(None, help="Only stories covered by this outlet."),
    search: Optional[str] = typer.Option(None, "--search", "-s", help="Only stories with articles matching words."),
    as_json: bool = JsonOpt,
):
    """List stories, newest first.

    Example: storylens stories --db seeds.db
    """
    with _open(db) as store:
        rows = store.stories(limit=limit, outlet=outlet, query=search)
        if as_json:
            for r in rows:
                _print_json(r)
            return
        t = Table(title=f"{store.count_stories()} stories in {store.path}", show_lines=False)
        for col in ("story", "label", "dates", "articles", "outlets"):
            t.add_column(col, overflow="fold")
        for r in rows:
            dates = r["first_date"] or "?"
            if r["last_date"] and r["last_date"] != r["first_date"]:
                dates += " → " + r["last_date"]
            t.add_row(r["id"], r["label"] or "", dates, str(r["n_articles"]), ", ".join(r["outlets"]))
        out.print(t)


@app.command()
def show(
    story_id: str = typer.Argument(..., help="Story id (as listed by `storylens stories`; a unique prefix will do)."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
):
    """Show one story: its articles, what they share, what each adds, quotes and the event record.

    Example: storylens show s000001 --db seeds.db
    """
    from .views import story_view

    with _open(db) as store:
        v = story_view(store, story_id)
    if as_json:
        _print_json(v)
        return
    s = v["story"]
    out.print(f"[bold]{s['id']}[/bold]  {s['label'] or ''}")
    out.print(f"{s['first_date'] or '?'} → {s['last_date'] or '?'}   {s['n_articles']} articles   "
              f"outlets: {', '.join(s['outlets'])}")
    t = Table(title="articles")
    for col in ("article", "outlet", "published", "title", "copy of"):
        t.add_column(col, overflow="fold")
    for a in v["articles"]:
        dup = f"{a['duplicate_of']} ({a['duplicate_kind']}, {a['duplicate_similarity']:.2f})" if a["duplicate_of"] else ""
        t.add_row(a["id"], a["outlet"] or "", a["published"] or "", a["title"] or "", dup)
    out.print(t)
    texts = {a["id"]: a for a in v["articles"]}
    if v["reuse"]:
        t = Table(title="text reuse (share of each article's text found in the other)")
        for col in ("article A", "article B", "shared of A", "shared of B", "likely original", "why"):
            t.add_column(col, overflow="fold")
        for r in v["reuse"]:
            t.add_row(r["article_a"], r["article_b"], f"{r['shared_a']:.0%}", f"{r['shared_b']:.0%}",
                      r["original"] or "undecided", r["reason"] or "")
        out.print(t)
    if v["unique"]:
        out.print("[bold]only in one article[/bold]")
        for u in v["unique"]:
            a = texts[u["article"]]
            snippet = a["text"][u["start"]:u["end"]]
            out.print(Text(f"  [{a['outlet'] or a['id']}] ", style="magenta") + Text(_clip(snippet, 220)))
    if v["quotes"]:
        t = Table(title="quotes")
        for col in ("speaker", "quote", "kind", "outlets"):
            t.add_column(col, overflow="fold")
        for q in v["quotes"]:
            t.add_row(q.get("canonical_speaker") or q.get("speaker") or "?", _clip(q["quote"], 200), q["kind"],
                      ", ".join(q.get("outlets") or []))
        out.print(t)
    ev = v.get("event")
    if ev:
        out.print("[bold]event[/bold]")
        place = ev.get("place") or {}
        pl = " ".join(x for x in [place.get("qualifier") or "", place.get("name") or "", ] if x)
        if place.get("country"):
            pl += f", {place['country']}"
        if place.get("lat") is not None:
            pl += f" ({place['lat']:.2f}, {place['lon']:.2f}; {place.get('precision')})"
        for label, value in (
            ("type", ev.get("type")), ("actor", ev.get("actor")), ("target", ev.get("target")), ("place", pl),
            ("date", ev.get("date")), ("fatalities", ev.get("fatalities")), ("injured", ev.get("injured")),
        ):
            if value not in (None, ""):
                out.print(f"  {label:<11}{value}")
        for r in ev.get("reactions") or []:
            out.print(f"  reaction   {r.get('actor')}: {r.get('stance')}")


def _clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


@app.command()
def compare(
    article_a: str = typer.Argument(..., help="First article id."),
    article_b: str = typer.Argument(..., help="Second article id."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
    width: int = typer.Option(0, help="Terminal width to use (0: detect)."),
):
    """Two articles side by side, shared passages highlighted in the same colour in both.

    Example: storylens compare a1b2c3 d4e5f6 --db seeds.db
    """
    from .align import align_pair, likely_original, shared_share

    with _open(db) as store:
        a = store.article(article_a)
        b = store.article(article_b)
    spans = align_pair(a.text, b.text)
    sa = shared_share(a.text, [(s, e) for s, e, _, _, _ in spans])
    sb = shared_share(b.text, [(s, e) for _, _, s, e, _ in spans])
    orig, why = likely_original(a.__dict__, b.__dict__, sa, sb)
    if as_json:
        _print_json(
            {
                "article_a": a.id, "article_b": b.id, "shared_a": round(sa, 4), "shared_b": round(sb, 4),
                "likely_original": orig, "reason": why,
                "passages": [
                    {"start_a": s0, "end_a": e0, "start_b": s1, "end_b": e1, "similarity": sim}
                    for s0, e0, s1, e1, sim in spans
                ],
            }
        )
        return
    colours = ["on dark_green", "on dark_blue", "on dark_magenta", "on dark_cyan", "on grey30", "on dark_orange3"]

    def render(text: str, ranges: list[tuple[int, int, int]]) -> Text:
        t = Text()
        pos = 0
        for s, e, g in sorted(ranges):
            if s < pos:
                continue
            t.append(text[pos:s], style="yellow")
            t.append(text[s:e], style=colours[g % len(colours)])
            pos = e
        t.append(text[pos:], style="yellow")
        return t

    ra = [(s0, e0, i) for i, (s0, e0, _, _, _) in enumerate(spans)]
    rb = [(s1, e1, i) for i, (_, _, s1, e1, _) in enumerate(spans)]
    console = Console(width=width) if width else out
    t = Table(show_lines=True, expand=True)
    t.add_column(f"{a.outlet or a.id} · {a.published or '?'} · {sa:.0%} shared", ratio=1)
    t.add_column(f"{b.outlet or b.id} · {b.published or '?'} · {sb:.0%} shared", ratio=1)
    t.add_row(render(a.text, ra), render(b.text, rb))
    console.print(t)
    console.print("shared passages are on the same background colour in both columns; [yellow]yellow[/yellow] "
                  "text is in one article only.")
    console.print(f"likely original: {orig or 'undecided'} ({why})")


# ---------------------------------------------------------------------- export
class ExportWhat(str, Enum):
    articles = "articles"
    stories = "stories"
    passages = "passages"
    quotes = "quotes"
    events = "events"


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"
    geojson = "geojson"


@app.command()
def export(
    what: ExportWhat = typer.Argument(..., help="What to export."),
    fmt: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", "-f", help="File format (geojson: events only)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write ('-' for standard output, jsonl only)."),
    db: Optional[str] = DbOpt,
):
    """Export articles, stories, passages, quotes or events as JSON lines, CSV, Parquet (or GeoJSON for events).

    Example: storylens export passages --format csv -o passages.csv --db seeds.db
    """
    from .export import export_table

    with _open(db) as store:
        n = export_table(store, what.value, fmt.value, str(output))
    if str(output) != "-":
        err.print(f"wrote {n} {what.value} to {output}")


# -------------------------------------------------------------- demo / report
@app.command()
def demo(
    db: str = typer.Option("demo.db", "--db", help="Database to build (replaced if it exists)."),
    output: Path = typer.Option(Path("demo-report.html"), "-o", "--output", help="HTML report to write."),
    no_extract: bool = typer.Option(False, "--no-extract", help="Skip quotes and events."),
):
    """Build a database from the bundled demo corpus and write its HTML report.

    Example: storylens demo -o demo-report.html
    """
    from .demo import run_demo

    stats, n_stories = run_demo(db, str(output), extract=not no_extract, log=err.print)
    err.print(f"{stats.summary()}\n{n_stories} stories → {db}\nreport → {output}")


@app.command()
def report(
    db: Optional[str] = DbOpt,
    output: Path = typer.Option(Path("report.html"), "-o", "--output", help="HTML file to write."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Only the newest N stories."),
):
    """Write a static HTML report of the stories in a database (articles side by side, shared text highlighted).

    Example: storylens report --db seeds.db -o report.html
    """
    from .report import write_report
    from .views import story_views

    with _open(db) as store:
        views = story_views(store, limit=limit)
        write_report(views, str(output))
    err.print(f"{len(views)} stories → {output}")


# ---------------------------------------------------------------------- quotes
@app.command()
def quotes(
    db: Optional[str] = DbOpt,
    story: Optional[str] = typer.Option(None, "--story", help="Only this story."),
    speaker: Optional[str] = typer.Option(None, "--speaker", help="Only speakers whose name contains this."),
    as_json: bool = JsonOpt,
):
    """Who said what: quotes with their speakers and the outlets that carried them.

    Example: storylens quotes --speaker Rasool --db seeds.db
    """
    from .export import quote_records

    with _open(db) as store:
        recs = list(quote_records(store, story, speaker))
    if as_json:
        for r in recs:
            _print_json(r)
        return
    t = Table(title=f"{len(recs)} quotes")
    for col in ("story", "speaker", "quote", "kind", "outlets"):
        t.add_column(col, overflow="fold")
    for r in recs:
        t.add_row(r["story_id"], r.get("canonical_speaker") or r.get("speaker") or "?", _clip(r["quote"], 160),
                  r["kind"], ", ".join(r["outlets"]) + (" (only one)" if r.get("single_outlet") else ""))
    out.print(t)


@app.command()
def extract(
    files: List[Path] = typer.Argument(..., help="Text files, taken as they are (no cleaning)."),
    as_json: bool = JsonOpt,
    published: Optional[str] = typer.Option(None, help="Reference date (YYYY-MM-DD) for relative dates."),
):
    """Print quotes, entities and events found in text files, without storing anything.

    Example: storylens extract article.txt --json
    """
    from .extract.analyse import analyse_text
    from .read.decode import read_text_file
    from .errors import InputError

    status = 0
    for f in files:
        try:
            text = read_text_file(f)
        except (InputError, OSError) as e:
            err.print(Text(f"skipped {e}", style="yellow"))
            status = 1
            continue
        res = analyse_text(text, published=published)
        if as_json:
            _print_json({"file": str(f), **res})
            continue
        out.print(f"[bold]{f}[/bold]: {len(res['quotes'])} quotes, {len(res['entities'])} entities, "
                  f"{len(res['events'])} events")
        for q in res["quotes"]:
            out.print(f"  {q.get('canonical_speaker') or q.get('speaker') or '?'} [{q['kind']}, {q.get('cue')}]: "
                      f"{_clip(q['quote'], 160)}")
        for e in res["events"]:
            out.print(f"  event: {json.dumps(e, ensure_ascii=False, default=str)[:300]}")
    raise typer.Exit(status)


# ---------------------------------------------------------------------- backup
@app.command()
def backup(
    output: Path = typer.Option(..., "-o", "--output", help="Backup file to write."),
    db: Optional[str] = DbOpt,
):
    """Write an online, consistent copy of the database (safe while others write).

    Example: storylens backup -o backup.db --db seeds.db
    """
    if output.exists():
        raise StorylensError(f"{output} exists; choose another name or remove it first")
    with _open(db) as store:
        store.backup(str(output))
    err.print(f"backup → {output}")


# ----------------------------------------------------------------------- serve
@app.command()
def serve(
    db: Optional[str] = DbOpt,
    host: str = typer.Option("127.0.0.1", help="Address to bind (reads are open only on loopback unless configured)."),
    port: int = typer.Option(8000, help="Port."),
):
    """Start the web desk and JSON API (http://HOST:PORT/, API under /api/v1).

    Example: storylens serve --db seeds.db --port 8000
    """
    from .web.app import run_server

    run_server(_db(db), host, port)


from .spark_cli import spark_app  # noqa: E402 - imports no PySpark until `spark run` runs

app.add_typer(spark_app, name="spark")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one line and an exit code."""
    try:
        app(args=argv)  # click handles usage errors (one message, exit 2) and --help
    except StorylensError as e:
        err.print(Text(f"error: {e}", style="red"))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; everything written so far is kept")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
