"""The learned cue model of storylens.extract.quotes (issue #4, round 5).

The model (data/quotes_cues.json, written by bench/quotes_train.py from PolNeAR train) adds
attributions whose cue word the rules do not know ("know that", "worried about", "understand that"); it
never touches quoted words, and it runs without scikit-learn.
"""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

import storylens.extract.quotes as Q
from storylens.extract.quotes import extract_quotes


@pytest.fixture
def gen_mode():
    old = Q._GEN_MODE

    def set_mode(mode: str) -> None:
        Q._GEN_MODE = mode

    yield set_mode
    Q._GEN_MODE = old


def test_model_file_is_small_and_complete():
    path = resources.files("storylens") / "data" / "quotes_cues.json"
    raw = path.read_bytes()
    assert len(raw) < 2_000_000
    model = json.loads(raw)
    assert 0.0 < model["threshold"] < 1.0
    assert isinstance(model["bias"], float) and len(model["weights"]) > 1000
    assert "know" in model["words"] and "the" not in model["words"]
    assert Q._cue_model() is Q._cue_model()  # loaded once


@pytest.mark.parametrize("text,cue,content,speaker", [
    ("Most Republicans know that the tax plan will fail.", "know", "the tax plan will fail", "Most Republicans"),
    ("Voters are worried about the economy.", "worried", "the economy", "Voters"),
    ("Republicans understand that the tax plan will fail.", "understand", "the tax plan will fail", "Republicans"),
])
def test_learned_cues_add_attributions_the_rules_miss(gen_mode, text, cue, content, speaker):
    (q,) = extract_quotes(text)
    assert (q.cue, q.quote, q.speaker, q.kind) == (cue, content, speaker, "indirect")
    s, e = q.quote_span
    assert text[s:e] == content
    gen_mode("off")  # the rules alone do not find it
    assert extract_quotes(text) == []


def test_learned_cues_leave_rule_quotes_and_quoted_words_alone(gen_mode):
    texts = ['"We will win," Smith said, and Jones attacked "the media" again.',
             "Trump said the wall was needed, and Clinton has repeatedly attacked the idea.",
             "The senators endorsed it."]  # a pronoun alone is no content
    with_model = [[(q.cue, q.quote, q.kind, q.speaker) for q in extract_quotes(t)] for t in texts]
    gen_mode("off")
    without = [[(q.cue, q.quote, q.kind, q.speaker) for q in extract_quotes(t)] for t in texts]
    assert with_model == without
    assert with_model[2] == []


def test_ordinary_verbs_are_no_cues():
    assert extract_quotes("The company opened a new factory in Ohio last year.") == []
    assert extract_quotes("She drove the car to the station.") == []


def test_runs_without_scikit_learn():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from storylens.extract.quotes import extract_quotes\n"
            "qs = extract_quotes('Republicans understand that the tax plan will fail.')\n"
            "assert [q.cue for q in qs] == ['understand'], qs\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
