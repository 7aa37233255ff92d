"""Question banks: the shipped ones are valid; bad files are named precisely; imports dedupe."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import Question
from app.questions.banks import BankError, bank_files, load_bank_file, parse_bank

BANKS = Path(__file__).resolve().parents[2] / "question_banks"

GOOD = """
questions:
  - id: my-one
    text: "Why did you leave after only six months?"
    category: Career gaps and job changes
    difficulty: 3
    testing: "Whether you will leave us too."
    tips: ["Say it in one sentence.", "Say what you learned about fit."]
    answer_seconds: 90
    tags: [behavioural]
"""


def test_shipped_banks_are_big_and_valid():
    specs = [spec for path in bank_files(BANKS) for spec in load_bank_file(path)]
    categories = {spec.category for spec in specs}
    assert len(specs) >= 80
    assert len(categories) >= 8
    for spec in specs:
        assert 1 <= spec.difficulty <= 3
        assert 2 <= len(spec.tips) <= 4
        assert spec.testing and spec.tags and spec.answer_seconds
    assert {
        "Failure and weakness",
        "Conflict",
        "Salary and negotiation",
        "Closing questions",
    } <= categories


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("difficulty: 3", "difficulty: 5"), "difficulty"),
        (("difficulty: 3", "difficulty: hard"), "difficulty"),
        (('    testing: "Whether you will leave us too."\n', ""), "testing"),
        (("tags: [behavioural]", "tags: [behavioural]\n    colour: red"), "colour"),
        (
            ('tips: ["Say it in one sentence.", "Say what you learned about fit."]', "tips: [one]"),
            "tips",
        ),
        (("answer_seconds: 90", "answer_seconds: 9000"), "answer_seconds"),
        (("id: my-one", "id: My One!"), "id"),
    ],
)
def test_bad_question_names_file_question_and_field(change, field):
    broken = GOOD.replace(*change)
    with pytest.raises(BankError) as err:
        parse_bank(broken, "mine.yaml")
    message = str(err.value)
    assert message.startswith("mine.yaml, question #1")
    assert f"field '{field}'" in message


def test_bad_yaml_says_where():
    with pytest.raises(BankError, match=r"broken.yaml: is not valid YAML at line \d"):
        parse_bank("questions:\n  - text: [unclosed\n", "broken.yaml")


def test_duplicate_ids_are_refused():
    doubled = GOOD + GOOD.split("questions:\n", 1)[1]
    with pytest.raises(BankError, match=r"question #2 \(my-one\), field 'id': repeats"):
        parse_bank(doubled, "twice.yaml")


def test_csv_bank_parses_lists():
    content = (
        "text,category,difficulty,testing,tips,answer_seconds,tags\n"
        '"What would your last manager say about you?",Closing questions,2,Self-awareness,'
        '"Quote real feedback|Add one thing you improved",90,"self-awareness, closing"\n'
    )
    (spec,) = parse_bank(content.encode(), "bank.csv")
    assert spec.tips == ["Quote real feedback", "Add one thing you improved"]
    assert spec.tags == ["self-awareness", "closing"]
    assert spec.key.startswith("q-")


def test_csv_row_error_names_the_row():
    content = "text,category,difficulty,testing,tips,answer_seconds,tags\nQ?,C,9,T,a|b,90,x\n"
    with pytest.raises(BankError, match=r"bank.csv, question #1, field 'difficulty'"):
        parse_bank(content, "bank.csv")


def test_import_in_the_ui_twice_adds_nothing_twice(client, app):
    for expected in (b"1 new question", b"0 new questions"):
        response = client.post(
            "/questions/import",
            data={"bank": (__import__("io").BytesIO(GOOD.encode()), "mine.yaml")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        assert expected in response.data
    with app.app_context():
        mine = db.session.execute(db.select(Question).filter_by(key="my-one")).scalars().all()
        assert len(mine) == 1 and mine[0].is_own


def test_import_in_the_ui_shows_the_error(client):
    response = client.post(
        "/questions/import",
        data={
            "bank": (
                __import__("io").BytesIO(GOOD.replace("difficulty: 3", "difficulty: 7").encode()),
                "mine.yaml",
            )
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert b"mine.yaml, question #1 (my-one), field &#39;difficulty&#39;" in response.data


def test_cli_import_twice(runner, tmp_path, app, client):
    bank = tmp_path / "mine.yaml"
    bank.write_text(GOOD)
    first = runner.invoke(args=["banks", "import", str(bank)])
    second = runner.invoke(args=["banks", "import", str(bank)])
    assert "1 added" in first.output, first.output
    assert "0 added, 0 updated, 1 unchanged" in second.output
    bank.write_text(GOOD.replace("difficulty: 3", "difficulty: 0"))
    bad = runner.invoke(args=["banks", "import", str(bank)])
    assert bad.exit_code != 0
    assert "mine.yaml, question #1 (my-one), field 'difficulty'" in bad.output
    assert "Traceback" not in bad.output


def test_shipped_banks_load_into_the_database_once(app):
    from app.questions.banks import sync_banks

    with app.app_context():
        before = db.session.execute(db.select(db.func.count(Question.id))).scalar()
        again = sync_banks(BANKS)
        after = db.session.execute(db.select(db.func.count(Question.id))).scalar()
    assert again.added == 0 and before == after >= 80
