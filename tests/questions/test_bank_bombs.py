"""Bank files built to exhaust the server: nested YAML aliases, huge values, huge files.

Each is refused quickly, with a short message that names the problem, through the import
page and the parser the CLI uses alike.
"""

from __future__ import annotations

import io
import time

import pytest

from app.questions.banks import MAX_BANK_BYTES, SHOWN_CHARS, BankError, parse_bank


def billion_laughs(levels: int = 9) -> str:
    """A 549-byte kind of YAML file: each level holds nine aliases of the one before."""
    lines = ['a0: &a0 ["lol"]']
    for n in range(1, levels + 1):
        refs = ", ".join(f"*a{n - 1}" for _ in range(9))
        lines.append(f"a{n}: &a{n} [{refs}]")
    lines.append("questions:")
    lines.append("  - id: bomb")
    lines.append(f"    difficulty: *a{levels}")
    return "\n".join(lines) + "\n"


@pytest.mark.asvs("5.5.3", "12.1.1")
def test_nested_aliases_are_refused_before_they_expand():
    started = time.perf_counter()
    with pytest.raises(BankError) as caught:
        parse_bank(billion_laughs(), "bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert "alias" in str(caught.value) and len(str(caught.value)) < 300


@pytest.mark.asvs("5.5.3")
def test_a_huge_value_is_never_quoted_whole():
    huge = "9" * 500_000
    bank = (
        "questions:\n  - text: Why us?\n    category: c\n    difficulty: "
        f"[{huge}]\n    testing: t\n    tips: [a, b]\n    answer_seconds: 60\n    tags: [x]\n"
    )
    with pytest.raises(BankError) as caught:
        parse_bank(bank, "x" * 5000 + ".yaml")
    message = str(caught.value)
    assert len(message) < 400 and message.count("9") <= SHOWN_CHARS
    # The same value as a short list of long text reaches the field check, quoted shortly.
    with pytest.raises(BankError, match="whole number") as caught:
        parse_bank(bank.replace(f"[{huge}]", f"['{huge}']"), "x.yaml")
    assert len(str(caught.value)) < 400


@pytest.mark.asvs("5.5.3")
def test_lists_nested_thousands_deep_are_refused():
    for opening, closing in (("[", "]"), ("{a: ", "}")):
        bank = "questions:\n  - difficulty: " + opening * 50_000 + closing * 50_000 + "\n"
        started = time.perf_counter()
        with pytest.raises(BankError, match="nests|not valid YAML"):
            parse_bank(bank, "deep.yaml")
        assert time.perf_counter() - started < 2.0


@pytest.mark.asvs("12.1.1")
def test_a_file_over_the_limit_is_refused_by_size():
    with pytest.raises(BankError, match="larger than 1024 KB"):
        parse_bank(b"#" * (MAX_BANK_BYTES + 1), "big.yaml")


def test_the_import_page_answers_a_bomb_with_a_short_422(client):
    response = client.post(
        "/questions/import",
        data={"bank": (io.BytesIO(billion_laughs().encode()), "bomb.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "alias" in page and len(page) < 50_000
