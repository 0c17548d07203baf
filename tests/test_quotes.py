"""Who said what: storylens.extract.quotes and storylens.extract.speakers."""
from __future__ import annotations

import re

import pytest

from storylens.errors import ValidationError
from storylens.extract.quotes import MAX_CHARS, extract_quotes, extract_quotes_many
from storylens.extract.speakers import canonical_speakers, merge_story_quotes, same_speaker

_CHROME = re.compile(
    r"^\s*(copy short url.*|\+ A|A -|Image not found.*|\*Image not found.*\*|-{3,}|<https?://.*>|\*\*.*\*\*|Qatar tribune)\s*$",
    re.I | re.M,
)


def strip_chrome(text: str) -> str:
    """Drop obvious page-chrome lines (the real cleaner lives in storylens.clean)."""
    return _CHROME.sub("", text)


@pytest.fixture(scope="module")
def seeds(seed_texts):
    names = sorted(seed_texts)
    texts = [strip_chrome(seed_texts[n]) for n in names]
    quotes = extract_quotes_many(texts)
    return {n[:3]: (t, q) for n, t, q in zip(names, texts, quotes)}


def by_speaker(quotes, name):
    return [q for q in quotes if q.canonical_speaker == name]


# ----------------------------------------------------------------- seeds


def test_seed_rasool_is_one_speaker_with_four_quotes(seeds):
    for key in ("000", "002"):
        text, quotes = seeds[key]
        rasool = [q for q in quotes if q.canonical_speaker and "Rasool" in q.canonical_speaker]
        assert {q.canonical_speaker for q in rasool} == {"Yahya Rasool"}
        assert len(rasool) >= 4, key
        # written as the full name with role, as the surname and as "he"
        written = {q.speaker for q in rasool}
        assert {"Army spokesperson Yahya Rasool", "Rasool", "he"} <= written
        assert any(q.role == "Army spokesperson" for q in rasool)


def test_seed_named_speakers(seeds):
    for key in ("000", "002"):
        _, quotes = seeds[key]
        assert len(by_speaker(quotes, "Antony Blinken")) == 1, key
        assert len(by_speaker(quotes, "Shihab Rattansi")) >= 2, key
    _, q0 = seeds["000"]
    assert len(by_speaker(q0, "Harakat al-Nujaba")) >= 1
    assert len(by_speaker(q0, "Hamas")) == 1
    assert not by_speaker(q0, "Nasser Kanaani")
    _, q2 = seeds["002"]
    kan = by_speaker(q2, "Nasser Kanaani")
    assert len(kan) == 1 and "American state terrorism" in kan[0].quote
    assert kan[0].role == "Iranian Foreign Ministry spokesperson"


def test_seed_opening_is_reported_speech_by_iraq(seeds):
    for key in ("000", "002"):
        text, quotes = seeds[key]
        first = next(q for q in quotes if "becoming a" in q.quote)
        assert first.canonical_speaker == "Iraq"
        assert first.cue == "saying"
        assert first.kind in ("indirect", "mixed")  # reported speech holding a quoted phrase
        assert first.quote.startswith("the United States-led military coalition")


def test_seed_multi_sentence_quote_is_one_quote(seeds):
    text, quotes = seeds["000"]
    q = next(q for q in quotes if q.quote.startswith("It's caused"))
    assert q.kind == "direct" and q.canonical_speaker == "Shihab Rattansi"
    assert "But the one thing the US won't do" in q.quote
    assert "Rattansi said" in text[q.quote_span[0]:q.quote_span[1]]


def test_seed_spans_index_the_text(seeds):
    for text, quotes in seeds.values():
        assert quotes
        for q in quotes:
            s, e = q.quote_span
            assert 0 <= s < e <= len(text)
            if q.kind != "direct":
                assert text[s:e] == q.quote
            else:
                assert q.quote.startswith(text[s:s + 10])
            if q.speaker_span:
                assert text[q.speaker_span[0]:q.speaker_span[1]] == q.speaker
            if q.cue_span:
                assert text[q.cue_span[0]:q.cue_span[1]] == q.cue


def test_seed_blinken_quote_carried_by_both_outlets(seeds):
    items = [(key, "Radio Habana Cuba" if key == "000" else "Qatar Tribune", text, quotes)
             for key, (text, quotes) in sorted(seeds.items())]
    recs = merge_story_quotes(items)
    blinken = [r for r in recs if r["speaker"] == "Antony Blinken"]
    assert len(blinken) == 1
    r = blinken[0]
    assert r["outlets"] == ["Qatar Tribune", "Radio Habana Cuba"] and not r["single_outlet"]
    assert {v["article_id"] for v in r["variants"]} == {"000", "002"}
    for v in r["variants"]:
        text = seeds[v["article_id"]][0]
        assert "bombing targets" in text[v["span"][0]:v["span"][1]]
    kan = [r for r in recs if r["speaker"] == "Nasser Kanaani"]
    assert len(kan) == 1 and kan[0]["single_outlet"] and kan[0]["outlets"] == ["Qatar Tribune"]
    rasool = [r for r in recs if r["speaker"] == "Yahya Rasool"]
    assert len(rasool) >= 4 and all(r["role"] == "Army spokesperson" for r in rasool)


# ----------------------------------------------------------------- hard cases


@pytest.mark.parametrize("open_, close", [("“", "”"), ('"', '"')])
def test_curly_and_straight_quotes(open_, close):
    text = f"{open_}We will not leave this city without a fight,{close} Mayor Jane Smith said on Monday."
    (q,) = extract_quotes(text)
    assert (q.kind, q.canonical_speaker, q.role, q.cue) == ("direct", "Jane Smith", "Mayor", "said")
    assert q.quote == "We will not leave this city without a fight"
    assert text[q.quote_span[0]:q.quote_span[1]] == q.quote


def test_speaker_before_quote_and_colon():
    (q,) = extract_quotes('Rasool said: "We will respond to every attack on our soil."')
    assert (q.kind, q.speaker, q.quote) == ("direct", "Rasool", "We will respond to every attack on our soil.")
    (q,) = extract_quotes('Jane Smith: "We will respond to this."')
    assert (q.cue, q.canonical_speaker, q.kind) == (":", "Jane Smith", "direct")


def test_pronoun_resolved_to_nearest_compatible_named_speaker():
    text = ('Hamas said the strikes were bad. Jane Smith said the talks had failed. '
            '"We will not accept this at all," she said.')
    quotes = extract_quotes(text)
    assert [q.canonical_speaker for q in quotes] == ["Hamas", "Jane Smith", "Jane Smith"]
    assert quotes[-1].speaker == "she"
    # "it" skips people and goes to the organisation
    text = ('Hamas said the strikes were bad. Jane Smith said the talks had failed. '
            'It said the ceasefire was over.')
    assert extract_quotes(text)[-1].canonical_speaker == "Hamas"


def test_speaker_in_previous_sentence_for_standalone_quote_paragraph():
    text = ("Army spokesperson Yahya Rasool said the attacks must stop.\n\n"
            "\u201cThe coalition has become a factor for instability in the whole region.\u201d")
    quotes = extract_quotes(text)
    assert [q.canonical_speaker for q in quotes] == ["Yahya Rasool", "Yahya Rasool"]
    assert quotes[1].kind == "direct"


def test_surname_resolved_to_full_name():
    text = ("Army spokesperson Yahya Rasool said on Thursday that the attacks must stop. "
            "Rasool said the coalition \u201cthreatens to entangle Iraq\u201d.")
    quotes = extract_quotes(text)
    assert [q.canonical_speaker for q in quotes] == ["Yahya Rasool", "Yahya Rasool"]
    assert [q.kind for q in quotes] == ["indirect", "mixed"]
    assert quotes[0].quote == "the attacks must stop"


def test_according_to_and_organisations():
    (q,) = extract_quotes("The strike killed two people, according to the Iraqi army.")
    assert (q.cue, q.speaker, q.quote, q.kind) == ("according to", "the Iraqi army", "The strike killed two people",
                                                   "indirect")
    (q,) = extract_quotes("Iran's Foreign Ministry said the attack was illegal.")
    assert q.canonical_speaker == "Iran's Foreign Ministry"
    (q,) = extract_quotes('Palestinian group Hamas said the strikes were a "violation of sovereignty".')
    assert (q.canonical_speaker, q.role, q.kind) == ("Hamas", "Palestinian group", "mixed")


def test_indirect_saying_and_adding():
    text = ("Iraq has denounced a drone strike in Baghdad, saying the coalition is becoming a threat. "
            "The minister said the attack was illegal, adding that talks would go on.")
    quotes = extract_quotes(text)
    got = [(q.canonical_speaker or q.speaker, q.cue, q.kind) for q in quotes]
    assert ("Iraq", "saying", "indirect") in got
    assert ("the minister", "adding", "indirect") in [(s.lower() if s else s, c, k) for s, c, k in got]
    assert any(q.quote == "the attack was illegal" for q in quotes)


def test_quote_spanning_paragraphs():
    text = ("Smith said: \u201cThe first part of the statement goes on for a while here.\n\n"
            "\u201cAnd it continues in the next paragraph with more words.\u201d\n\nOther news followed.")
    (q,) = extract_quotes(text)
    assert q.kind == "direct" and q.canonical_speaker == "Smith"
    assert "first part" in q.quote and "next paragraph" in q.quote
    assert text[q.quote_span[0]:q.quote_span[1]].count("\n") == 2


def test_unbalanced_marks_do_not_spoil_the_article():
    text = ('He said "this is never closed and runs on.\n\n'
            '"Fine," Jane Doe said later. "We go on from here now."\n\n'
            'Stray closing mark here" and more. Bob Lee said the vote was fair.')
    quotes = extract_quotes(text)
    doe = [q for q in quotes if q.canonical_speaker == "Jane Doe"]
    assert len(doe) == 1 and doe[0].kind == "direct" and "We go on" in doe[0].quote
    assert any(q.canonical_speaker == "Bob Lee" and q.quote == "the vote was fair" for q in quotes)


# ----------------------------------------------------------------- bad input


def test_empty_and_quote_free_text():
    assert extract_quotes("") == []
    assert extract_quotes("   \n\n ") == []
    assert extract_quotes("The river rose two metres overnight. Roads were closed.") == []
    assert extract_quotes_many([]) == []


def test_marks_only_and_odd_text_do_not_crash():
    for t in ['"', '""""""', '“”“', 'said "', ': "', "according to", "\u201c" * 50 + " said " + "\u201d" * 3]:
        assert isinstance(extract_quotes(t), list)


def test_too_long_or_wrong_type_is_a_clear_error():
    with pytest.raises(ValidationError, match="split it into articles"):
        extract_quotes("x" * (5 * 1024 * 1024))
    assert MAX_CHARS < 5 * 1024 * 1024
    with pytest.raises(ValidationError, match="got NoneType"):
        extract_quotes(None)  # type: ignore[arg-type]


def test_long_text_without_breaks_is_chunked():
    text = ("word " * 3000) + 'then Jane Smith said "the end is near for all of us."'
    quotes = extract_quotes(text)
    assert any(q.canonical_speaker == "Jane Smith" for q in quotes)


def test_batch_equals_single():
    texts = ['"Yes, we will go," she said.', "No quotes here.", "Bob Lee said the vote was fair."]
    assert extract_quotes_many(texts) == [extract_quotes(t) for t in texts]


# ----------------------------------------------------------------- speakers


def test_speaker_variants_merge():
    assert same_speaker("Yahya Rasool", "Yehia Rasool")
    assert same_speaker("Rasool", "Yahya Rasool")
    assert not same_speaker("Jane Smith", "John Doe")
    m = canonical_speakers(["Rasool", "Yehia Rasool", "Yahya Rasool", "Yahya Rasool", "Hamas"])
    assert m["Rasool"] == m["Yehia Rasool"] == "Yahya Rasool" and m["Hamas"] == "Hamas"


def test_merge_rejects_bad_items():
    with pytest.raises(ValidationError, match="item 0"):
        merge_story_quotes([("a1", "x")])  # type: ignore[list-item]


# ----------------------------------------------------------------- PolNeAR-style cases


def test_two_apostrophes_are_quote_marks_and_split_quotes_join():
    text = "''We will win this state,'' Mr. Smith said. ''And then we will govern it well.''"
    (q,) = extract_quotes(text)
    assert q.kind == "direct" and q.canonical_speaker == "Smith"
    assert "win this state" in q.quote and "govern it well" in q.quote
    s, e = q.quote_span
    assert text[s:s + 2] == "''" or text[s:].startswith("We")
    assert text[e - 2:e] == "''" or q.quote.endswith("well.")


def test_long_tail_cues_with_object_content():
    (q,) = extract_quotes("Ben Carson endorsed Donald Trump on Friday.")
    assert (q.cue, q.quote, q.canonical_speaker) == ("endorsed", "Donald Trump", "Ben Carson")
    (q,) = extract_quotes("Bernie Sanders called for a higher minimum wage.")
    assert (q.cue, q.quote) == ("called", "a higher minimum wage")
    (q,) = extract_quotes("A new poll showed Clinton with a narrow lead in Ohio.")
    assert q.cue == "showed" and q.quote.startswith("Clinton with a narrow lead")
    # a pronoun object alone is no content
    assert extract_quotes("The senators endorsed it.") == []


def test_pronoun_resolved_to_name_in_unparsed_sentence():
    quotes = extract_quotes("Jane Smith arrived late. She told reporters the plan was dead.")
    assert [(q.speaker, q.canonical_speaker) for q in quotes] == [("She", "Jane Smith")]


def test_statement_saying_goes_to_who_released_it():
    (q,) = extract_quotes("Hillary Clinton released a statement on Friday saying that the comments were divisive.")
    assert (q.canonical_speaker, q.cue, q.quote) == ("Hillary Clinton", "saying", "the comments were divisive")


def test_parallel_equals_serial():
    texts = ['"Yes, we will go," she said.', "No quotes here.", "Bob Lee said the vote was fair.",
             "''Fine,'' Mr. Doe said.", "Ben Carson endorsed Donald Trump on Friday."] * 2
    assert extract_quotes_many(texts, n_process=2) == extract_quotes_many(texts)


# ----------------------------------------------------------------- accuracy rules (issue #4)


def test_quote_resumed_after_a_long_attribution_is_one_quote():
    text = ("“We will rebuild the bridge before the first snow falls, whatever the cost turns out to be,” said "
            "Maria Lopez, the county engineer in charge of the project. “Nothing will stop us now.”")
    (q,) = extract_quotes(text)
    assert q.kind == "direct" and q.canonical_speaker == "Maria Lopez"
    assert "rebuild the bridge" in q.quote and "Nothing will stop us now" in q.quote
    # a long aside between two short quotes keeps them apart (the second is not the first's tail)
    text = ("“Yes,” said Maria Lopez, the county engineer who has overseen the bridge project since it began "
            "in the spring of 2019 and who lives in a small town near the river. “No.”")
    assert all("No." not in q.quote for q in extract_quotes(text))


def test_short_sentence_quote_continues_the_previous_quote():
    (q,) = extract_quotes('"We are ready," the mayor said. "Absolutely."')
    assert q.quote.startswith("We are ready") and q.quote.endswith("Absolutely.")
    # a scare-quoted word in the next sentence is not a continuation
    (q,) = extract_quotes('"Yes," she said. The so-called "experts" disagreed.')
    assert q.quote == "Yes"


def test_inverted_speaker_only_without_a_subject_before_the_cue():
    (q,) = extract_quotes("“The plan is dead,” Jane Smith, a council member, told Reuters.")
    assert (q.canonical_speaker, q.quote, q.kind) == ("Jane Smith", "The plan is dead", "direct")
    quotes = extract_quotes("Senator Brown attacked the proposal, calling it a “disaster.”")
    calling = [q for q in quotes if q.cue == "calling"]
    assert calling and calling[0].canonical_speaker == "Brown" and calling[0].quote == "it a “disaster.”"


def test_any_verb_after_a_quote_it_governs_is_a_cue():
    (q,) = extract_quotes("“Get out of my office,” the manager snarled.")
    assert (q.speaker, q.cue, q.quote) == ("the manager", "snarled", "Get out of my office")


def test_subjectless_cue_takes_the_nearest_name_before_it():
    (q,) = extract_quotes("Friday at the Ohio Republican party's state dinner Sen. Mark Hill (R-OH) said "
                          "the tax plan was a failure.")
    assert (q.canonical_speaker, q.quote) == ("Mark Hill", "the tax plan was a failure")
    # a subject inside the quote marks never speaks for the verb outside them
    (q,) = extract_quotes("''We could not have done more for the town, but the money ran out,'' said Dan Reed, "
                          "a former mayor.")
    assert q.canonical_speaker == "Dan Reed"


def test_responded_by_saying_is_one_quote_with_its_speaker():
    (q,) = extract_quotes("The minister responded by saying the talks had failed.")
    assert (q.speaker, q.cue, q.quote) == ("The minister", "saying", "the talks had failed")


def test_quote_after_the_listener():
    (q,) = extract_quotes("Jones left the meeting early, telling reporters, “We have nothing more to discuss.”")
    assert (q.canonical_speaker, q.kind, q.quote) == ("Jones", "direct", "We have nothing more to discuss.")
    (q,) = extract_quotes("As the mayor put it, “This town deserves better.”")
    assert (q.speaker, q.quote) == ("the mayor", "This town deserves better.")


def test_naming_and_criticising_verbs_report_a_judgement():
    (q,) = extract_quotes("The union called the offer insulting.")
    assert (q.speaker, q.quote, q.kind) == ("The union", "the offer insulting", "indirect")
    (q,) = extract_quotes("The senator criticized the governor for cutting school funds.")
    assert q.quote == "the governor for cutting school funds"
    assert extract_quotes("She called him at home.") == []


def test_stance_inside_speech_is_not_a_second_attribution():
    (q,) = extract_quotes("Smith said she plans to run again next year.")
    assert (q.cue, q.quote) == ("said", "she plans to run again next year")


def test_content_stops_before_an_appended_reporting_participle():
    quotes = extract_quotes("The mayor said the budget was balanced, adding that taxes would fall next year.")
    assert [(q.cue, q.quote) for q in quotes] == [("said", "the budget was balanced"),
                                                  ("adding", "taxes would fall next year")]


# ----------------------------------------------------------------- accuracy rules, second round (issue #4)


def test_seem_and_appear_report_a_judgement_without_speaker():
    (q,) = extract_quotes("The new mayor seemed to enjoy the attention.")
    assert (q.speaker, q.cue, q.kind) == (None, "seemed", "indirect")
    assert q.quote.startswith("The new mayor") and q.quote.endswith("enjoy the attention")
    (q,) = extract_quotes("By noon the volunteers appeared exhausted.")
    assert q.cue == "appeared" and "volunteers appeared exhausted" in q.quote
    # appearing somewhere, or an empty "it" subject, reports nothing
    assert extract_quotes("The band appeared on stage at nine.") == []
    assert extract_quotes("It seems late.") == []


def test_as_framing_verbs_report_object_and_as_phrase():
    (q,) = extract_quotes("Critics see the tax cut as a gift to the rich.")
    assert (q.speaker, q.cue, q.quote) == ("Critics", "see", "the tax cut as a gift to the rich")
    (q,) = extract_quotes("The governor described the bill as reckless.")
    assert (q.speaker, q.quote) == ("The governor", "the bill as reckless")
    assert extract_quotes("We saw the movie on Friday.") == []
    assert extract_quotes("She described the scene.") == []


def test_nominal_cues_take_their_complement_and_holder():
    (q,) = extract_quotes("The senator voiced strong criticism of the new trade deal.")
    assert (q.speaker, q.cue, q.quote) == ("The senator", "criticism", "the new trade deal")
    qs = [q for q in extract_quotes("His claim that the vote was rigged drew a swift denial.") if q.cue == "claim"]
    assert [(q.speaker, q.quote) for q in qs] == [("His", "the vote was rigged")]
    # a cue noun with no complement, or another sense of the word, is no attribution
    assert extract_quotes("The criticism was loud.") == []
    assert extract_quotes("The support beams cracked under the weight.") == []


def test_colon_introduction_reaches_the_quote_opening_the_next_paragraph():
    text = 'The mayor spoke first.\n\nDr. Ann Ward stated:\n\n"The department has lost its way. It serves politics now."'
    (q,) = extract_quotes(text)
    assert (q.canonical_speaker, q.kind) == ("Ann Ward", "direct")
    assert q.quote.startswith("The department")
    (q,) = extract_quotes("Continued Stone: “So I think it is a very real problem.”")
    assert q.speaker == "Stone" and q.quote.startswith("So I think")
    # a colon inside its paragraph does not claim the quote of the next one
    text = 'Jane Doe listed three reasons: cost, time and risk.\n\n"We disagree with all of them," the council said.'
    quotes = extract_quotes(text)
    assert [q.speaker for q in quotes if "disagree" in q.quote] == ["the council"]


def test_curly_quote_nested_in_a_straight_quote():
    (q,) = extract_quotes('"The court is no longer about “equal justice” at all. It is politics," Ward said.')
    assert q.kind == "direct" and q.speaker == "Ward"
    assert q.quote.startswith("The court") and q.quote.endswith("It is politics")


def test_according_to_inside_quoted_speech_is_not_an_attribution():
    quotes = extract_quotes('"Crime fell by a third last year, according to the police," Mayor Ann Lee said.')
    assert [(q.canonical_speaker, q.cue) for q in quotes] == [("Ann Lee", "said")]


# ----------------------------------------------------------------- third round (issue #4)


def test_attribution_set_off_by_commas_reports_both_sides():
    (q,) = extract_quotes("The only problem, Ms. Bigbee said, is that her pay is one-third less than before.")
    assert (q.speaker, q.cue, q.kind) == ("Ms. Bigbee", "said", "indirect")
    assert q.quote == "The only problem is that her pay is one-third less than before"
    assert q.quote_span == (0, len("The only problem, Ms. Bigbee said, is that her pay is one-third less than before"))
    (q,) = extract_quotes("In the end, Mr. Rosenthal said, union voters almost always vote for Democrats.")
    assert q.speaker == "Mr. Rosenthal" and q.quote == "In the end union voters almost always vote for Democrats"
    # a sentence-final attribution takes the clause before it
    (q,) = extract_quotes("The Internet has made it easy for people with odd ideas to find each other, she said.")
    assert (q.speaker, q.cue) == ("she", "said") and q.quote.startswith("The Internet has made it easy")
    # what hangs on the cue (', blaming ...', ', when ...') is no second part
    quotes = extract_quotes('"Too much hate," she said, blaming some of it on the campaign.')
    assert [(q.kind, q.quote) for q in quotes if q.cue == "said"] == [("direct", "Too much hate")]


def test_relative_pronoun_is_the_speaker_mention_resolved_to_its_antecedent():
    text = "The loss was steep for Mr. Sanders, who said he intended to take a day off."
    (q,) = extract_quotes(text)
    assert (q.speaker, q.canonical_speaker, q.cue) == ("who", "Sanders", "said")
    assert text[q.speaker_span[0]:q.speaker_span[1]] == "who"
    assert q.quote == "he intended to take a day off"


def test_inverted_speaker_after_a_closing_quote_mark():
    (q,) = extract_quotes('"How big is that wall?" asked the boy, who was wearing a red hat.')
    assert (q.speaker, q.cue, q.quote) == ("the boy", "asked", "How big is that wall?")


def test_coordinated_cue_shares_a_passive_subject():
    quotes = extract_quotes("Mr. Trump was forced into damage control and said that his words had been misconstrued.")
    said = [q for q in quotes if q.cue == "said"]
    assert said and said[0].canonical_speaker == "Trump"


def test_quote_resumes_after_an_aside_in_its_attribution():
    text = ("''The key to these ventures was the market timing,'' Mr. Hedge said, referring to the two resorts. "
            "''I assume they saw the luxury golf market returning.''")
    quotes = extract_quotes(text)
    said = [q for q in quotes if q.cue == "said"]
    assert said[0].kind == "direct" and said[0].quote.endswith("luxury golf market returning.")
    assert [q.quote for q in quotes if q.cue == "referring"] == ["the two resorts"]
    # a quoted title inside a long attribution does not stop the quote from resuming
    text = ('"Of course we will release our medical records," Sanders said during an interview on '
            'CNN\'s "State of the Union" Sunday. "Thank God, I am very healthy. It is not a problem."')
    said = [q for q in extract_quotes(text) if q.cue == "said"]
    assert said and "very healthy" in said[0].quote


def test_nyt_closing_marks_end_a_sentence():
    quotes = extract_quotes("''We won,'' she said. ''It was close.'' Mr. Lee disagreed with the count.")
    assert [q.quote for q in quotes if q.cue == "said"] == ["We won It was close."]


def test_finding_in_a_poll_or_survey():
    (q,) = extract_quotes("In the latest Washington Post-ABC News poll, Clinton led Trump by eight points.")
    assert (q.cue, q.speaker, q.quote) == ("In", "the latest Washington Post-ABC News poll",
                                         "Clinton led Trump by eight points")
    (q,) = extract_quotes("President Obama's approval rating in a new Gallup survey stands at 53%.")
    assert q.speaker == "a new Gallup survey" and q.quote == "President Obama's approval rating stands at 53%"
    # "said in a statement" is the verb's attribution, not the document's
    assert [q.cue for q in extract_quotes("The company said in a report that sales fell.")] == ["said"]


def test_found_a_job_is_no_finding_but_a_poll_finding_is():
    assert extract_quotes("She found a job in her field last year.") == []
    (q,) = extract_quotes("A new poll found Clinton with a narrow lead in Ohio.")
    assert (q.speaker, q.cue, q.quote) == ("A new poll", "found", "Clinton with a narrow lead in Ohio")
    (q,) = extract_quotes("The study found higher costs for small firms.")
    assert (q.speaker, q.cue, q.quote) == ("The study", "found", "higher costs for small firms")


def test_framing_as_phrase_after_a_modifier():
    (q,) = extract_quotes("Border agents described the ground underneath the city as ''Swiss cheese.''")
    assert q.cue == "described" and q.quote.startswith("the ground underneath the city as")
    (q,) = extract_quotes("Trump described the country as beset by illegal immigrants.")
    assert q.quote == "the country as beset by illegal immigrants"


def test_paragraph_opening_name_and_colon_is_an_attribution():
    (q,) = extract_quotes("Lewandowski: FBI director acted as judge and jury.\n\nMore text follows here.")
    assert (q.speaker, q.cue, q.quote) == ("Lewandowski", ":", "FBI director acted as judge and jury.")
    (q,) = extract_quotes("Matthews: Well, speculation is bad.")
    assert q.speaker == "Matthews"
    assert extract_quotes("Update: The vote was moved to Friday.") == []


def test_markup_tags_are_no_cues():
    text = '<tweet author="someone" tweet_id="1">Another attack in Nice. When will we learn?</tweet>'
    assert [q for q in extract_quotes(text) if q.cue and q.cue.lower() == "tweet"] == []


def test_as_reported_by_and_passive_agent_give_the_source():
    (q,) = extract_quotes("As reported by Western Journalism, there are 150 delegates at stake in the contests.")
    assert (q.speaker, q.cue, q.quote) == ("Western Journalism", "reported",
                                         "there are 150 delegates at stake in the contests")
    (q,) = extract_quotes("The meeting was first reported by Politico.")
    assert (q.speaker, q.cue, q.quote) == ("Politico", "reported", "The meeting")


def test_asked_if_clause_has_no_speaker():
    quotes = extract_quotes("Asked if her email practices were illegal, 46 percent of voters said yes.")
    asked = [q for q in quotes if q.cue == "Asked"]
    assert [(q.speaker, q.quote) for q in asked] == [(None, "her email practices were illegal")]


def test_contrast_appended_with_while_is_not_reported():
    quotes = extract_quotes("Most voters said they are set on voting for Mr. Smith, while 22 percent remain undecided.")
    assert [q.quote for q in quotes if q.cue == "said"] == ["they are set on voting for Mr. Smith"]


def test_said_in_a_statement_that_clause_is_the_content():
    text = ('Jason Kander, who is running against Roy Blunt, said in a statement that "Washington dysfunction '
            'has stopped Congress from responding to a public health crisis."')
    (q,) = extract_quotes(text)
    assert (q.canonical_speaker, q.cue, q.kind) == ("Jason Kander", "said", "mixed")
    assert q.quote.startswith('that "Washington dysfunction')


def test_clause_after_the_cue_when_a_semicolon_cuts_off_the_one_before():
    quotes = extract_quotes('Voters in Ohio were worried about the economy; most said they were "very worried."')
    assert [(q.speaker, q.quote) for q in quotes if q.cue == "said"] == [("most", 'they were "very worried."')]


def test_but_clause_after_an_inverted_attribution_is_not_content():
    quotes = extract_quotes("Ms. Brainard is ''not a backslapper,'' said Mr. Sperling, but she has developed strong ties.")
    assert [(q.speaker, q.quote) for q in quotes if q.cue == "said"] == [
        ("Mr. Sperling", "Ms. Brainard is ''not a backslapper,''")]


def test_made_a_point_of_saying_goes_to_who_made_it():
    (q,) = extract_quotes('He made a point of saying the club "was a place of solidarity."')
    assert (q.speaker, q.cue) == ("He", "saying")


def test_dash_line_names_the_speaker_of_the_quote_above():
    text = ('Clinton spoke on Monday.\n\n"I will look into it. I do not know the status, but I will certainly look '
            'into it."\n\n- Hillary Clinton.\n\nClinton has said so before.')
    quotes = extract_quotes(text)
    (q,) = [q for q in quotes if "look into it" in q.quote]
    assert (q.speaker, q.canonical_speaker, q.cue, q.kind) == ("Hillary Clinton", "Hillary Clinton", "-", "direct")
    # a dash line after a paragraph that is not a quote names nobody
    assert extract_quotes("The vote was close.\n\n- Staff report.") == []


def test_reportedly_attributes_the_clause_to_unnamed_sources():
    (q,) = extract_quotes("The company has reportedly taken heat from a civil rights group.")
    assert (q.speaker, q.cue, q.quote) == (None, "reportedly", "The company has taken heat from a civil rights group")
    # "reportedly said" is the verb's attribution
    quotes = extract_quotes('Trump reportedly said, "You tell me."')
    assert [q.cue for q in quotes] == ["said"]


def test_offer_is_a_cue_with_an_object_or_an_infinitive():
    (q,) = extract_quotes("Rubio offered a defense of the immigration bill.")
    assert (q.speaker, q.cue, q.quote) == ("Rubio", "offered", "a defense of the immigration bill")
    (q,) = extract_quotes("Clinton offered to debate in Brooklyn.")
    assert (q.speaker, q.quote) == ("Clinton", "to debate in Brooklyn")


def test_gloss_closing_a_reported_clause_is_the_writers():
    (q,) = extract_quotes("Mr. Smith said the plan would cut taxes for the middle class, which critics dispute.")
    assert q.quote == "the plan would cut taxes for the middle class"
    (q,) = extract_quotes("Sanders said the vote was a defeat for the party, a loss that will haunt its leaders.")
    assert q.quote == "the vote was a defeat for the party"
    # a list is no gloss
    (q,) = extract_quotes("He said he and Trump differ on Israel, the Iranian nuclear deal and the court.")
    assert q.quote.endswith("the Iranian nuclear deal and the court")


# --- round 4 (issue #4): cues chosen by their precision on PolNeAR train


def test_round4_verbs_order_remind_echo_list_rail_are_cues():
    (q,) = extract_quotes("The governor ordered a review of the visa program.")
    assert (q.speaker, q.cue, q.quote) == ("The governor", "ordered", "a review of the visa program")
    (q,) = extract_quotes("Obama ordered the troops to leave Iraq by the end of the year.")
    assert q.quote == "to leave Iraq by the end of the year"
    (q,) = extract_quotes("He listed the qualities of a good nominee.")
    assert (q.cue, q.quote) == ("listed", "the qualities of a good nominee")
    (q,) = extract_quotes("Cruz has railed against the Washington cartel.")
    assert (q.speaker, q.cue, q.quote) == ("Cruz", "railed", "the Washington cartel")
    quotes = extract_quotes("Clinton reminded voters that Trump had praised the dictator.")
    assert [(q.speaker, q.cue) for q in quotes][0] == ("Clinton", "reminded")


def test_mention_of_is_a_nominal_cue():
    (q,) = extract_quotes("His speech made no mention of the refugees in the camps.")
    assert (q.cue, q.quote) == ("mention", "the refugees in the camps")


def test_passive_framing_with_as_is_a_judgement():
    text = "Mr. Sanders is widely seen as a threat to the party establishment."
    (q,) = extract_quotes(text)
    assert (q.speaker, q.cue, q.quote) == (None, "seen", "Mr. Sanders a threat to the party establishment")
    assert q.quote_span == (0, len(text) - 1)
    (q,) = extract_quotes("The hearing was viewed by analysts as a test of the inquiry.")
    assert (q.speaker, q.quote) == ("analysts", "The hearing a test of the inquiry")
    assert extract_quotes("The bill will be seen next week.") == []


def test_made_it_clear_takes_the_clause_after_clear():
    (q,) = extract_quotes("Clinton made it clear to House Democrats on Wednesday that she has their backs.")
    assert (q.speaker, q.cue, q.quote) == ("Clinton", "made it clear", "she has their backs")
    (q,) = extract_quotes("Officials made clear Monday they have no plans to spend money on the race.")
    assert (q.speaker, q.cue, q.quote) == ("Officials", "made clear", "they have no plans to spend money on the race")
    assert extract_quotes("She made clear progress on the bill.") == []


def test_stance_adjectives_take_their_clause_or_phrase():
    (q,) = extract_quotes("Mr. Ackman is convinced that Valeant will be a comeback story.")
    assert (q.speaker, q.cue, q.quote) == ("Mr. Ackman", "convinced", "Valeant will be a comeback story")
    (q,) = extract_quotes("Republicans are eager to move past the primary.")
    assert (q.speaker, q.cue, q.quote) == ("Republicans", "eager", "to move past the primary")
    (q,) = extract_quotes("Many voters remain skeptical of the deal.")
    assert (q.speaker, q.cue, q.quote) == ("Many voters", "skeptical", "the deal")
    # no complement, no attribution; "certain" is not in the lexicon (below break-even precision on train)
    assert extract_quotes("She was aware.") == []
    assert extract_quotes("He is certain that the plan will pass.") == []


# ----------------------------------------------------------------- round 6: nested attributions


def test_reported_speech_inside_reported_speech_is_the_outer_speakers():
    # "his claim" is something the officials' rejection mentions, not a statement of his in this text
    qs = extract_quotes("Officials rejected his claim that the vote was rigged.")
    assert [(q.cue, q.speaker, q.quote) for q in qs] == [("rejected", "Officials", "his claim that the vote was rigged")]
    qs = extract_quotes("The spokesman said the governor believes that the deal is dead.")
    assert [(q.cue, q.speaker) for q in qs] == [("said", "The spokesman")]


def test_quoted_words_inside_reported_speech_keep_their_speaker():
    # the outer attribution frames it, but the quote marks hold the minister's own words
    qs = extract_quotes('According to the broadcaster, the minister said the talks had "failed completely".')
    assert [(q.cue, q.speaker, q.kind) for q in qs] == [
        ("according to", "the broadcaster", "mixed"), ("said", "the minister", "mixed")]
    # a colon label frames a transcript line; what is said on it stays an attribution of its own
    qs = extract_quotes("Matthews: Clinton said the polls are wrong.")
    assert ("said", "Clinton", "the polls are wrong") in [(q.cue, q.speaker, q.quote) for q in qs]


def test_quote_inside_a_quote_of_the_same_speaker_is_one_quote():
    text = 'Clinton said that she called Sanders to congratulate him on what she called "an extraordinary campaign."'
    qs = extract_quotes(text)
    assert [(q.cue, q.canonical_speaker, q.kind) for q in qs] == [("said", "Clinton", "mixed")]
    assert qs[0].quote.endswith('"an extraordinary campaign."')


# ----------------------------------------------------------------- content boundaries (session 9)


def test_stance_verb_coordinated_inside_the_content_stays_in_it():
    # "refused" shares the content's subject ("he"): part of what the police say, not a new saying
    quotes = extract_quotes("Police say he posed a deadly threat and refused to drop the gun.")
    said = [q for q in quotes if q.cue == "say"]
    assert [q.quote for q in said] == ["he posed a deadly threat and refused to drop the gun"]
    # while a speech verb coordinated there still starts an attribution of its own
    quotes = extract_quotes("The mayor said the budget was balanced and added that taxes would fall.")
    assert [q.quote for q in quotes if q.cue == "said"] == ["the budget was balanced"]


def test_coordinated_clause_with_there_is_reported_too():
    quotes = extract_quotes("The mayor also said that it was too early to tell whether the explosion was caused "
                            "by a bomb, and there was no evidence yet that it was an act of terrorism.")
    (q,) = [q for q in quotes if q.cue == "said"]
    assert q.quote.endswith("no evidence yet that it was an act of terrorism")


def test_clause_after_the_cue_when_an_aside_before_the_speaker_is_hung_on_it_too():
    text = ("At his rallies, Trump primes supporters not to trust the media and cites the crowds themselves as an "
            "example: He says news outlets undercount his supporters, just to undermine him.")
    (q,) = [q for q in extract_quotes(text) if q.cue == "says"]
    assert q.quote == "news outlets undercount his supporters, just to undermine him"
    # a quoted first part still makes one quote with the part after the cue
    (q,) = extract_quotes('"We will fight," he said, "and we will win."')
    assert q.quote.startswith("We will fight") and q.quote.endswith("we will win.")


def test_writers_hedges_are_nobodys_statement():
    assert extract_quotes("That said, a loss in this state would provide a sour end to her campaign.") == []
    assert extract_quotes("It is too soon to say whether her policies will prove successful.") == []
    assert [q.quote for q in extract_quotes("Critics say her policies will fail.")] == ["her policies will fail"]


def test_circumstance_clause_after_the_cue_is_not_the_content():
    (q,) = extract_quotes("“His legend will live on,” Spencer said, as a few young fighters worked out inside the gym.")
    assert (q.canonical_speaker, q.kind, q.quote) == ("Spencer", "direct", "His legend will live on")


@pytest.mark.parametrize("dash", ["―", "—", " -", " --"])
def test_dash_and_name_closing_the_quotes_own_paragraph_give_its_speaker(dash):
    text = (f"“Donald Trump scares me. His words make me fearful.”{dash} Krystal Correa\n"
            f"“Maybe we can build a wall around him.”\u00a0{dash.strip()} Steve Quinlan.\n")
    quotes = extract_quotes(text)
    assert [(q.canonical_speaker, q.kind) for q in quotes] == [
        ("Krystal Correa", "direct"), ("Steve Quinlan", "direct")]
    s, e = quotes[0].speaker_span
    assert text[s:e] == "Krystal Correa"
    assert quotes[0].quote == "Donald Trump scares me. His words make me fearful."


@pytest.mark.parametrize("dateline", ["WASHINGTON -- ", "BAGHDAD (Reuters) - ", "NEW YORK, N.Y. — "])
def test_dateline_is_not_the_speaker(dateline):
    text = dateline + "President Obama, dedicating the museum on Saturday, said it would tell an American story."
    (q,) = extract_quotes(text)
    assert (q.canonical_speaker, q.quote) == ("Obama", "it would tell an American story")
    assert text[q.speaker_span[0]:q.speaker_span[1]] == "President Obama"


def test_condition_between_cue_and_clause_is_part_of_the_content():
    text = ("Cruz says no matter what unilateral action President Barack Obama takes on gun control, "
            "“his word does not trump the Second Amendment.”")
    (q,) = extract_quotes(text)
    assert (q.canonical_speaker, q.kind) == ("Cruz", "mixed")
    assert q.quote.startswith("no matter what unilateral action") and q.quote.endswith("Second Amendment.”")


def test_surname_takes_the_full_name_from_a_sentence_that_was_not_parsed():
    text = ("Tom Clarke, a nursing home owner, bought the mines last year.\n"
            "The plan works, Mr. Clarke said on Friday.")
    (q,) = extract_quotes(text)
    assert (q.speaker, q.canonical_speaker) == ("Mr. Clarke", "Tom Clarke")
    # a capitalised word before a surname at the start of a sentence is no first name
    (q,) = extract_quotes("Whether Clarke wins is unclear.\nThe plan works, Mr. Clarke said on Friday.")
    assert q.canonical_speaker == "Clarke"


def test_ner_windows_give_the_same_quotes_as_whole_sentences(monkeypatch):
    from storylens.extract import quotes as Q

    texts = [
        '"We told Washington and the coalition in Baghdad that the strikes must stop before the talks in '
        'Geneva resume next month," Army spokesperson Yahya Rasool said in a statement on Thursday.',
        "Iran's Foreign Ministry spokesman Nasser Kanaani said the attack in Baghdad violated the sovereignty "
        "of Iraq and was a reckless act by the United States that would not go unanswered.",
        "WASHINGTON -- President Obama, speaking to reporters at the White House on Saturday, said the "
        "museum would tell an American story.",
    ]
    windowed = Q.extract_quotes_many(texts)
    monkeypatch.setattr(Q, "NER_WINDOW", None)
    whole = Q.extract_quotes_many(texts)
    assert windowed == whole
    assert [q.canonical_speaker for qs in whole for q in qs] == ["Yahya Rasool", "Nasser Kanaani", "Obama"]
