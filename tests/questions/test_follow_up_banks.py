"""Follow-ups in banks: a ``follow_ups:`` map in YAML, one cell in CSV, checked with the other
fields (errors name the file, question and field), stored on the question; the shipped banks
carry their own for the stories they ask for."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Question
from app.questions.banks import BankError, bank_files, load_bank_file, parse_bank
from app.questions.follow_ups import check_follow_ups, parse_follow_ups
from app.reports.speech import is_behavioural
from tests.questions.test_banks import GOOD

BANKS = Path(__file__).resolve().parents[2] / "question_banks"
WITH_FOLLOW_UPS = GOOD + (
    "    follow_ups:\n"
    '      star.result: "And did you stay in touch with that team?"\n'
    '      talking_point: "What about {point}?"\n'
)
CSV_HEAD = "id,text,category,difficulty,testing,tips,answer_seconds,tags,follow_ups\n"
CSV_ROW = 'c-one,"Why did you leave?",Career,2,Fit,"a|b",90,behavioural,"{cell}"\n'


def test_yaml_follow_ups_are_read_in_trigger_order():
    (spec,) = parse_bank(WITH_FOLLOW_UPS, "mine.yaml")
    assert spec.follow_ups == {
        "star.result": "And did you stay in touch with that team?",
        "talking_point": "What about {point}?",
    }
    (plain,) = parse_bank(GOOD, "mine.yaml")
    assert plain.follow_ups == {}


def test_a_csv_cell_holds_trigger_wording_items():
    cell = "star.action: What was your part?  | star.result: How did it end: well? "
    (spec,) = parse_bank(CSV_HEAD + CSV_ROW.format(cell=cell), "bank.csv")
    assert spec.follow_ups == {"star.result": "How did it end: well?",
                               "star.action": "What was your part?"}  # fmt: skip
    (empty,) = parse_bank(CSV_HEAD + CSV_ROW.format(cell=""), "bank.csv")
    assert empty.follow_ups == {}


@pytest.mark.parametrize(
    ("follow_ups", "message"),
    [
        ("      star.outcome: How did it end?\n", "“star.outcome” is not a follow-up trigger; "
         "use one of relevance.off_topic, star.result, star.action, talking_point"),
        ('      star.result: ""\n', "The follow-up for star.result is empty"),
        ("      star.result: " + "a" * 301 + "\n", "is 301 characters; keep it under 300"),
        ('      star.result: "What about {point}?"\n', "uses {point}, which only talking_point"),
        ('      talking_point: "What about {topic}?"\n', "uses “{topic}”; the only placeholder"),
        ("      star.result: [one, two]\n", "must be text, not list"),
        ("      - star.result\n", "must map a trigger to its wording"),
    ],
)  # fmt: skip
def test_bad_follow_ups_name_file_question_and_field(follow_ups, message):
    with pytest.raises(BankError) as err:
        parse_bank(GOOD + "    follow_ups:\n" + follow_ups, "mine.yaml")
    text = str(err.value)
    assert text.startswith("mine.yaml, question #1 (my-one), field 'follow_ups': "), text
    assert message in text


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("How did it end?", "Follow-up 1 (“How did it end?”) names no trigger"),
        ("star.result: One | star.result: Two", "star.result is given twice"),
        ("star.reslt: One", "“star.reslt” is not a follow-up trigger"),
    ],
)
def test_bad_csv_cells_say_what_to_write(cell, message):
    with pytest.raises(BankError) as err:
        parse_bank(CSV_HEAD + CSV_ROW.format(cell=cell), "bank.csv")
    assert "bank.csv, question #1 (c-one), field 'follow_ups': " in str(err.value)
    assert message in str(err.value)


def test_check_follow_ups_lists_every_problem():
    assert check_follow_ups({"star.result": "How did it end?"}) == []
    assert check_follow_ups({}) == []
    errors = check_follow_ups({"star.result": " ", "nope": "x", "length.long": "Shorter {"})
    assert len(errors) == 3
    assert check_follow_ups(["star.result"])[0].startswith("Follow-ups must map a trigger")
    mapping, errors = parse_follow_ups("star.result: A\n\n length.long : B ")
    assert (mapping, errors) == ({"star.result": "A", "length.long": "B"}, [])
    mapping, errors = parse_follow_ups("star.result: A\n" * 1000)
    assert mapping == {} and errors == ["Follow-ups are 15000 characters; one wording per "
                                        "trigger fits in 1980."]  # fmt: skip


def test_the_import_page_stores_follow_ups_on_the_question(client, app):
    response = client.post(
        "/questions/import",
        data={"bank": (io.BytesIO(WITH_FOLLOW_UPS.encode()), "mine.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and b"1 new question" in response.data
    with app.app_context():
        question = db.session.execute(db.select(Question).filter_by(key="my-one")).scalar_one()
        assert question.follow_ups["star.result"] == "And did you stay in touch with that team?"
    bad = WITH_FOLLOW_UPS.replace("star.result", "star.ending")
    response = client.post(
        "/questions/import",
        data={"bank": (io.BytesIO(bad.encode()), "mine.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert (
        "field &#39;follow_ups&#39;: “star.ending” is not a follow-up trigger"
        in response.get_data(as_text=True)
    )


def test_shipped_banks_pass_the_check_and_ask_their_stories_own_follow_ups(runner, app):
    result = runner.invoke(args=["banks", "check", str(BANKS)])
    assert result.exit_code == 0, result.output
    stories = [s for p in bank_files(BANKS) for s in load_bank_file(p) if is_behavioural(s)]
    assert len(stories) >= 30
    for spec in stories:
        assert {"star.result", "star.action"} <= set(spec.follow_ups), spec.key
    with app.app_context():
        stored = db.session.execute(
            db.select(Question).filter_by(key="cf-disagreed-with-manager")
        ).scalar_one()
        assert stored.follow_ups["star.action"].startswith("What did you say to your manager")


def test_banks_check_names_a_bad_follow_up(runner, tmp_path):
    bank = tmp_path / "mine.yaml"
    bank.write_text(GOOD + '    follow_ups:\n      star.result: "Tell me about {point}"\n')
    result = runner.invoke(args=["banks", "check", str(bank)])
    assert result.exit_code == 1
    assert "mine.yaml, question #1 (my-one), field 'follow_ups': The follow-up for star.result " \
        "uses {point}" in result.output  # fmt: skip
