"""``storylens spark run``: the pipeline on Apache Spark (``pip install 'storylens[spark]'``).

The lead wires it into the main command with ``app.add_typer(spark_app, name="spark")``.
This module imports no PySpark at import time, so ``storylens --help`` works without it.
It uses absolute imports so that the file itself can be given to ``spark-submit``
(see docs/scaling.md, "Submitting to a cluster").
"""
from __future__ import annotations

import json
import sys
from typing import List, Optional

import typer

from storylens.errors import StorylensError

spark_app = typer.Typer(
    help="Run the pipeline on Apache Spark and write Parquet tables (articles, stories, passages, reuse; "
    "quotes and events on request).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@spark_app.callback()
def _group() -> None:
    """Run the pipeline on Apache Spark."""


@spark_app.command("run")
def run_cmd(
    input: List[str] = typer.Option(..., "--input", "-i", help="Folder, file or URI (repeat for several): "
                                    ".txt .html .jsonl .warc(.gz) files, or Parquet with a 'text' column."),
    output: str = typer.Option(..., "--output", "-o", help="Folder or URI to write the Parquet tables under."),
    master: Optional[str] = typer.Option(
        None, "--master", help="Spark master (local[N], yarn, spark://host:7077, k8s://...) "
        "[default: what spark-submit set, else local[2]]."),
    fmt: str = typer.Option("auto", "--format", help="Input format: auto, parquet or files."),
    quotes: bool = typer.Option(False, "--quotes/--no-quotes", help="Also extract quotes (needs the spaCy model "
                                "on every executor)."),
    events: bool = typer.Option(False, "--events/--no-events", help="Also build one event record per story "
                                "(what happened, where, when; extracts the quotes too, and writes both tables)."),
    block_articles: int = typer.Option(50_000, "--block-articles", help="At most this many articles are "
                                       "clustered together in one date block."),
    shuffle_partitions: Optional[int] = typer.Option(None, "--shuffle-partitions",
                                                     help="spark.sql.shuffle.partitions (default: Spark's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Read articles, find copies and stories, align passages; write Parquet under --output."""
    try:
        from storylens.spark import check_inputs, run, spark_session

        check_inputs(input, fmt)
        spark = spark_session(master or "auto", shuffle_partitions=shuffle_partitions)
        stats = run(spark, input, output, fmt=fmt, quotes=quotes, events=events, block_articles=block_articles)
    except StorylensError as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(getattr(e, "exit_code", 2))
    if as_json:
        from dataclasses import asdict

        print(json.dumps(asdict(stats)))
    else:
        print(f"{stats.summary()} → {output}", file=sys.stderr)


def main() -> None:  # pragma: no cover - convenience entry point
    """``python -m storylens.spark_cli run --input ... --output ...``"""
    spark_app()


if __name__ == "__main__":  # pragma: no cover
    main()
