"""Property-based fuzzing of ``/api/v1`` from its own OpenAPI description (schemathesis).

Every operation in the description gets valid and invalid requests, derandomized and with a
fixed number of examples so CI sees the same inputs every run. Whatever arrives, the API
answers below 500, and every 4xx carries a JSON ``{"error": "..."}`` a script can show.
A second test keeps the description honest: each API route is in it, and nothing else.
"""

from __future__ import annotations

import re
import string
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.identity import create_api_token, find_user
from app.extensions import db
from app.feedback.invitations import invite
from app.models import Share
from app.web.openapi import OPENAPI
from tests.conftest import make_user
from tests.reports.test_feedback import STORY, make_attempt

pytestmark = pytest.mark.asvs("5.1.3", "5.1.4", "7.4.1")

EXAMPLES_PER_OPERATION = 40
# Status codes seen, by code; bench/fuzz_report.py prints them.
TALLY: Counter[int] = Counter()

schema = schemathesis.openapi.from_dict(OPENAPI)
schema.config.generation.update(
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,
    database="none",
    # Credentials are ours (below); broken ones get a test of their own.
    with_security_parameters=False,
)


@pytest.fixture
def tokens(app):
    """Bearer tokens for a candidate and their recruiter; an attempt shared with the recruiter,
    and a share the fuzzer may stop."""
    make_user(app, "a@example.com")
    make_user(app, "coach@example.com", "recruiter")
    attempt_id = make_attempt(app, STORY)
    with app.app_context():
        candidate, coach = find_user("a@example.com"), find_user("coach@example.com")
        invite(candidate, coach.email, everything=True)
        other = Share(candidate_id=candidate.id, recruiter_email="x@example.com")
        db.session.add(other)
        db.session.commit()
        return {"candidate": create_api_token(candidate), "recruiter": create_api_token(coach),
                "attempt": attempt_id, "share": other.id}  # fmt: skip


@schema.parametrize()
@settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_gets_a_500_and_every_4xx_says_why(case, app, tokens):
    """Random and malformed requests to every operation: never a 5xx, always a JSON reason."""
    # Comments come from reviewers; every other operation is the candidate's.
    who = "recruiter" if case.path.endswith("/comments") else "candidate"
    headers = {"Authorization": f"Bearer {tokens[who]}"}
    assert_answer_is_clean(case, case.call(app=app, headers=headers))
    # Random ids almost never name a real row; send the same body to real ones too, so the
    # checks behind the lookup (comment times, uploads, shares) meet the fuzzed input.
    if case.path_parameters and "id" in case.path_parameters:
        real = tokens["share"] if case.path.startswith("/api/v1/shares") else tokens["attempt"]
        case.path_parameters = {**case.path_parameters, "id": real}
    elif isinstance(case.body, dict) and "question_id" in case.body:
        case.body = {**case.body, "question_id": 1}
    else:
        return
    assert_answer_is_clean(case, case.call(app=app, headers=headers))


def assert_answer_is_clean(case, response) -> None:
    """Below 500 and documented; a 4xx is JSON with a non-empty ``error`` message."""
    TALLY[response.status_code] += 1
    assert response.status_code < 500, (response.status_code, response.text[:300])
    documented = OPENAPI["paths"][case.path].get(case.method.lower(), {}).get("responses")
    if documented is not None:  # an undocumented method is a 405, checked below
        assert str(response.status_code) in documented, (response.status_code, response.text)
    if 400 <= response.status_code < 500:
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert content_type[0].startswith("application/json"), response.text[:200]
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body


def openapi_path(rule: str) -> str:
    """``/api/v1/attempts/<int:attempt_id>/chunks/<int:seq>`` becomes
    ``/api/v1/attempts/{id}/chunks/{seq}``: an object's own id is ``{id}``, others keep
    their names (a turn of an interview: ``{id}/turns/{turn_id}``)."""
    first_id = True

    def name(match: re.Match) -> str:
        nonlocal first_id
        if match.group(1).endswith("_id") and first_id:
            first_id = False
            return "{id}"
        return "{" + match.group(1) + "}"

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", name, rule)


def test_the_description_covers_every_api_route(app):
    """Each /api/v1 route and method is described, and nothing described is missing."""
    served = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, item in OPENAPI["paths"].items() for method in item}
    assert served == described


def test_the_served_description_is_the_module(client):
    """What clients download is what the fuzzer used."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json == OPENAPI


# What an HTTP header can carry: Latin-1, without line breaks.
HEADER_TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=80)


@given(
    header=st.one_of(
        HEADER_TEXT,
        st.builds("Bearer {}".format, HEADER_TEXT),
        st.builds("Bearer rbd_{}".format, st.text(string.ascii_letters + "-_", max_size=60)),
    )
)
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_broken_credentials_get_a_json_401(app, header):
    """Any Authorization header that is not a live token: 401 with a reason, never a 500."""
    with app.test_client() as anon:
        response = anon.get("/api/v1/attempts", headers={"Authorization": header})
    assert response.status_code == 401, (header, response.status_code)
    assert response.json["error"]


@pytest.mark.parametrize("moment", ["NaN", "Infinity", "-Infinity"])
def test_comment_times_must_be_finite(app, tokens, moment):
    """JSON parsers here accept NaN, which slips past every range comparison."""
    response = app.test_client().post(
        f"/api/v1/attempts/{tokens['attempt']}/comments",
        data=f'{{"body": "Slow down here.", "start_s": {moment}}}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens['recruiter']}"},
    )
    assert response.status_code == 422 and "not a time in seconds" in response.json["error"]


@pytest.mark.parametrize(
    "body, says",
    [
        ({"body": ["a"]}, '"body" must be text'),
        ({"body": {"x": 1}}, '"body" must be text'),
        ({"body": 5}, '"body" must be text'),
        ({"body": "ok", "suggestion": ["x"]}, '"suggestion" must be text'),
        ({"body": "ok", "start_s": True}, "not a time in seconds"),
        ({"body": "ok", "start_s": 1, "end_s": 1e9}, "outside the recording"),
        ({"body": "ok", "end_s": 5}, "needs its start"),
    ],
)
def test_a_comment_of_the_wrong_kind_is_refused_not_saved_as_its_spelling(app, tokens, body, says):
    """A list saved as "['a']", true as second 1.0, an end a billion seconds in."""
    response = app.test_client().post(
        f"/api/v1/attempts/{tokens['attempt']}/comments",
        json=body,
        headers={"Authorization": f"Bearer {tokens['recruiter']}"},
    )
    assert response.status_code in (400, 422) and says in response.json["error"], response.json
    with app.app_context():
        from app.models import Comment

        assert db.session.execute(db.select(Comment)).scalars().all() == []


@pytest.mark.parametrize(
    "email", [["x@example.com"], {"a": 1}, 5, "a@b", "['x@example.com']", "Ann <a@example.org>"]
)
def test_a_share_to_something_that_is_not_an_address_is_refused(app, tokens, email):
    response = app.test_client().post(
        "/api/v1/shares",
        json={"recruiter_email": email},
        headers={"Authorization": f"Bearer {tokens['candidate']}"},
    )
    assert response.status_code in (400, 422) and response.json["error"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Share.id))).scalar_one() == 2


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {}, "content_type": "multipart/form-data"},
        {"data": {"question_id": "abc"}, "content_type": "multipart/form-data"},
        {"json": {"question_id": "1", "streaming": True}},
        {"json": {"streaming": True}},
    ],
)
def test_an_answer_without_a_usable_question_id_says_so(app, tokens, request_kwargs):
    """It answered 404 "the link is wrong", which sent API users looking at the URL."""
    response = app.test_client().post(
        "/api/v1/attempts",
        headers={"Authorization": f"Bearer {tokens['candidate']}"},
        **request_kwargs,
    )
    assert response.status_code == 400 and "question_id is required" in response.json["error"]
