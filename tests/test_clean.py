"""Chrome removal and metadata, by rules and by learning repeated outlet lines."""
import re

from storylens.clean import chrome_keys, clean_text, outlet_name, parse_loose_date

CHROME = ["copy short url", "printemail", "+ A", "A -", "Image not found or type unknown"]


def _seed(seed_texts, prefix):
    return next(v for k, v in seed_texts.items() if k.startswith(prefix))


def test_seed_000_metadata(seed_texts):
    c = clean_text(_seed(seed_texts, "000"))
    assert c.title == "Iraq condemns clear-cut assassination operation after U.S. strike"
    assert c.outlet == "Radio Habana Cuba"
    assert c.url and "radiohc.cu" in c.url
    assert c.published == "2024-02-08"
    assert c.dateline == "Baghdad"


def test_seed_002_outlet(seed_texts):
    c = clean_text(_seed(seed_texts, "002"))
    assert c.outlet == "Qatar Tribune"
    assert c.text.startswith("Iraq has denounced")


def test_seeds_clean_text_has_no_chrome(seed_texts):
    for raw in seed_texts.values():
        c = clean_text(raw)
        low = c.text.lower()
        for chrome in CHROME:
            assert chrome.lower() not in low
        lines = [ln.strip() for ln in c.text.splitlines() if ln.strip()]
        assert not any(re.fullmatch(r"<?https?://\S+>?", ln) for ln in lines)
        assert not any(ln.lower() in ("radio habana cuba", "qatar tribune", "**radio habana cuba**") for ln in lines)
        # nothing is lost: every removed line is kept with a reason
        assert all(r.reason for r in c.removed)
        raw_lines = [ln.strip() for ln in raw.splitlines()]
        kept = [ln.strip() for ln in c.text.splitlines() if ln.strip()]
        assert all(ln in raw_lines for ln in kept)  # clean text is made of raw lines


def test_rules_on_varied_chrome():
    raw = "\n".join(
        [
            "Share this article", "Tweet", "Facebook | WhatsApp | Email", "A+ A-", "***",
            "# Mayor opens new bridge", "",
            "KESSELTON (Northwire) -- The mayor opened the new bridge on Monday, officials said.", "",
            "She said the bridge would cut commuting times for thousands of residents every day.", "",
            "We use cookies to improve your experience.", "Related articles", "https://example.com/x",
            "Kessel Courier",
        ]
    )
    c = clean_text(raw)
    assert c.title == "Mayor opens new bridge"
    assert c.dateline == "Kesselton"
    assert c.outlet == "Kessel Courier"
    assert c.url == "https://example.com/x"
    assert c.text.splitlines()[0].startswith("KESSELTON (Northwire)")
    for gone in ("Share this", "Tweet", "cookies", "Related articles", "A+ A-", "***"):
        assert gone not in c.text
    reasons = {r.reason for r in c.removed}
    assert {"share widget", "separator", "site notice", "related links", "title"} <= reasons


def test_learned_chrome_lines():
    body = "The council approved the budget on Tuesday after a long debate about schools and roads."
    raw = "Kessel Courier\n# Budget passes\nDon't miss our Sunday edition, out now\n\n" + body + "\n\nDon't miss our Sunday edition, out now"
    plain = clean_text(raw)
    assert "Sunday edition" in plain.text  # rules alone do not know this line
    learned = clean_text(raw, known_chrome=frozenset({"don't miss our sunday edition, out now"}))
    assert "Sunday edition" not in learned.text
    assert any(r.reason == "repeated outlet line" for r in learned.removed)
    assert "don't miss our sunday edition, out now" in chrome_keys(raw)


def test_meta_wins_and_dates():
    c = clean_text("Body text of the article goes here with enough words to count as body text.",
                   {"title": "Given", "outlet": "Wire", "published": "2025-03-04T10:00:00Z"})
    assert (c.title, c.outlet, c.published) == ("Given", "Wire", "2025-03-04")
    assert parse_loose_date("Posted 3 March 2025") == "2025-03-03"
    assert parse_loose_date("February 30, 2024") is None
    assert outlet_name("qatar tribune") == "Qatar Tribune"


def test_everything_chrome_keeps_nothing_but_no_crash():
    c = clean_text("printemail\n+ A\nA -\n")
    assert c.text == ""
    assert len(c.removed) == 3
