"""Interview debriefs: log a real interview, ask why not, record the feedback, and turn it
into a practice plan of the questions asked plus related bank questions."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.exc import IntegrityError

from app.extensions import begin_write, db
from app.models import (
    BANK_SCOPE,
    Attempt,
    Comment,
    Interview,
    InterviewFeedback,
    Question,
    Rating,
    User,
)  # fmt: skip
from app.questions.assignments import for_interview
from app.questions.banks import text_key, user_scope

STAGES = ["Phone screen", "First interview", "Technical interview", "Case or task", "Panel",
          "Final interview", "Assessment centre", "Other"]  # fmt: skip
OUTCOMES = {
    "waiting": "No answer yet",
    "rejected": "Rejected",
    "offer": "Offer",
    "withdrew": "I withdrew",
}
SOURCES = {"employer": "The employer", "recruiter": "My recruiter", "me": "My own notes"}
DEBRIEF_CATEGORY = "From my interviews"
DICTATION_PREFIX = "dictation-"
QUESTION_STARTS = ("what", "why", "how", "when", "where", "who", "which", "tell me", "describe",
                   "can you", "could you", "would you", "walk me", "give me", "do you", "did you",
                   "have you", "are you", "talk me", "explain", "if you")  # fmt: skip
GENERIC_TIPS = [
    "Answer the question they asked in your first sentence, then support it.",
    "Use one specific example from your own work, with a result.",
]


class DebriefError(Exception):
    """A debrief form that cannot be saved; the message says what to fix."""


def create_interview(owner: User, form) -> Interview:
    """Log an interview from form fields, checking each."""
    company = (form.get("company") or "").strip()
    if not company:
        raise DebriefError("Enter the company's name.")
    held_on = None
    if form.get("held_on"):
        try:
            held_on = date.fromisoformat(form["held_on"])
        except ValueError as err:
            raise DebriefError("The date is not a date; use the date picker.") from err
    stage = form.get("stage") or ""
    if stage and stage not in STAGES:
        raise DebriefError("Choose a stage from the list.")
    outcome = form.get("outcome") or "waiting"
    if outcome not in OUTCOMES:
        raise DebriefError("Choose an outcome from the list.")
    interview = Interview(owner_id=owner.id, company=company[:120], role=(form.get("role") or "").strip()[:120],
                          held_on=held_on, stage=stage, outcome=outcome)  # fmt: skip
    db.session.add(interview)
    db.session.commit()
    return interview


def interview_questions(interview: Interview) -> list[Question]:
    """The questions the candidate remembers from this interview."""
    return list(db.session.execute(
        db.select(Question).where(Question.interview_id == interview.id).order_by(Question.id)
    ).scalars())  # fmt: skip


def add_questions(interview: Interview, texts: list[str], category: str) -> int:
    """Store remembered questions as the candidate's own, tagged with the interview."""
    added = 0
    scope = user_scope(interview.owner_id)
    for raw in texts:
        text = " ".join((raw or "").split())[:1000]
        if len(text) < 5:
            continue
        key = text_key(text)
        existing = db.session.execute(
            db.select(Question).filter_by(scope=scope, key=key)
        ).scalar_one_or_none()
        if existing is not None:
            existing.interview_id = existing.interview_id or interview.id
            continue
        db.session.add(Question(
            scope=scope, key=key, owner_id=interview.owner_id, text=text,
            category=(category or DEBRIEF_CATEGORY)[:80], difficulty=2,
            testing=f"Asked at {interview.company}" + (f" ({interview.stage.lower()})" if interview.stage else "")
            + ". Think about what they wanted to learn about you.",
            tips=GENERIC_TIPS, answer_seconds=120, tags=["interview"], source=f"asked at {interview.company}",
            interview_id=interview.id,
        ))  # fmt: skip
        added += 1
    db.session.commit()
    return added


def dictation_question(interview: Interview) -> Question:
    """The prompt the candidate answers to record the questions they remember."""
    scope, key = user_scope(interview.owner_id), f"{DICTATION_PREFIX}{interview.id}"
    find = db.select(Question).filter_by(scope=scope, key=key)
    question = db.session.execute(find).scalar_one_or_none()
    if question is None:
        # Made once, in a write transaction of its own: the page's reads began a transaction
        # whose snapshot a worker's commit may have made stale, and SQLite then refuses the
        # write at once ("database is locked"), whatever the busy timeout.
        db.session.commit()
        begin_write()
        question = db.session.execute(find).scalar_one_or_none()
    if question is None:
        question = Question(scope=scope, key=key, owner_id=interview.owner_id,
                            text=f"Which questions do you remember from {interview.company}?",
                            category="Interview debrief", difficulty=1,
                            testing="Say each question you remember, one after another.",
                            tips=["Say each question as a question, then pause.",
                                  "Rough wording is fine: you can edit them before saving."],
                            answer_seconds=120, tags=["dictation"], source="debrief")  # fmt: skip
        db.session.add(question)
        try:
            db.session.commit()
        except IntegrityError:
            # The debrief page opened twice at once (a page and its htmx refresh): the other
            # request made the prompt first. Use that one instead of answering with a 500.
            db.session.rollback()
            question = db.session.execute(find).scalar_one()
    return question


def dictation_interview_id(question: Question) -> int | None:
    """The interview whose remembered questions this prompt records, or None for any other
    question (a dictation is a note to the debrief, not an answer to score)."""
    if question.key.startswith(DICTATION_PREFIX) and question.scope == user_scope(
        question.owner_id or 0
    ):
        number = question.key[len(DICTATION_PREFIX) :]
        return int(number) if number.isdigit() else None
    return None


def confirmed_questions(form) -> list[str]:
    """The questions the candidate kept from a dictation, as they corrected them: each ticked
    ``heard`` names its row, whose wording is in ``heard_text-<row>``."""
    texts = []
    for value in form.getlist("heard"):
        edited = form.get(f"heard_text-{value}") if value.isdigit() else None
        texts.append(edited if edited is not None else value)
    return texts


def latest_dictation(interview: Interview) -> Attempt | None:
    """The newest recording of remembered questions, if any."""
    question = dictation_question(interview)
    return (
        db.session.execute(
            db.select(Attempt)
            .where(Attempt.question_id == question.id)
            .order_by(Attempt.created_at.desc())
        )
        .scalars()
        .first()
    )


def split_questions(transcript: str) -> list[tuple[str, bool]]:
    """Sentences of a dictation, each with whether it looks like a question."""
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", transcript or "") if s.strip()]
    result = []
    for sentence in sentences:
        lowered = re.sub(r"^(?:(?:so|and|then|also|um|uh)[, ]+)+", "", sentence.lower())
        looks = sentence.endswith("?") or lowered.startswith(QUESTION_STARTS)
        if looks and not sentence.endswith("?"):
            sentence = sentence.rstrip(".!") + "?"
        result.append((sentence, looks))
    return result


def add_feedback(
    interview: Interview, source: str, body: str, question_ids: list[int]
) -> InterviewFeedback:
    """Record feedback received about the interview, optionally about some of its questions."""
    body = (body or "").strip()
    if not body:
        raise DebriefError("Write down the feedback you received.")
    if source not in SOURCES:
        raise DebriefError("Say who the feedback came from.")
    own = {q.id for q in interview_questions(interview)}
    feedback = InterviewFeedback(interview_id=interview.id, source=source, body=body[:5000],
                                 question_ids=sorted(set(question_ids) & own))  # fmt: skip
    db.session.add(feedback)
    db.session.commit()
    return feedback


def feedback_of(interview: Interview) -> list[InterviewFeedback]:
    """Feedback received about the interview, oldest first."""
    return list(db.session.execute(
        db.select(InterviewFeedback).where(InterviewFeedback.interview_id == interview.id)
        .order_by(InterviewFeedback.created_at)
    ).scalars())  # fmt: skip


def feedback_for_question(
    question_id: int, owner_id: int
) -> list[tuple[Interview, InterviewFeedback]]:
    """Employer or recruiter feedback that concerns this question (shown beside the recorder).

    Feedback marked against questions concerns those; unmarked feedback concerns the whole
    interview, so every question of its plan.
    """
    rows = db.session.execute(
        db.select(Interview, InterviewFeedback)
        .join(InterviewFeedback, InterviewFeedback.interview_id == Interview.id)
        .where(Interview.owner_id == owner_id)
    ).all()
    return [
        (interview, feedback)
        for interview, feedback in rows
        if question_id in (feedback.question_ids or interview.plan_question_ids)
    ]


def build_plan(interview: Interview, per_category: int = 2) -> list[int]:
    """The interview's questions, then bank questions of their categories and difficulty."""
    own = interview_questions(interview)
    plan = [q.id for q in own]
    categories = {q.category for q in own if q.category != DEBRIEF_CATEGORY}
    levels = {q.difficulty for q in own} or {2}
    if not categories:
        categories = set(db.session.execute(
            db.select(Question.category).where(Question.scope == BANK_SCOPE).distinct()
        ).scalars())  # fmt: skip
        per_category = 1 if len(categories) > 4 else per_category
    for category in sorted(categories):
        bank = db.session.execute(
            db.select(Question).where(Question.scope == BANK_SCOPE, Question.category == category,
                                      Question.difficulty.in_(levels | {min(levels) + 1}))
            .order_by(Question.difficulty, Question.id)
        ).scalars().all()  # fmt: skip
        plan += [q.id for q in bank if q.id not in plan][:per_category]
    for extra in interview.plan_question_ids:
        if extra not in plan:
            plan.append(extra)
    interview.plan_question_ids = plan
    # What recruiters added is practised too, but stays their assignment (see feedback.access).
    plan = plan + [a.question_id for a in for_interview(interview) if a.question_id not in plan]
    db.session.commit()
    return plan


def plan_progress(interview: Interview) -> list[dict]:
    """For each planned question: answered, answered again after feedback, reviewed."""
    feedback = feedback_of(interview)
    added = {a.question_id: a for a in reversed(for_interview(interview))}
    rows = []
    planned = list(interview.plan_question_ids)
    for question_id in planned + [q for q in added if q not in planned]:
        question = db.session.get(Question, question_id)
        if question is None:
            continue
        attempts = db.session.execute(
            db.select(Attempt).where(Attempt.owner_id == interview.owner_id, Attempt.question_id == question_id,
                                     Attempt.created_at >= interview.created_at)
        ).scalars().all()  # fmt: skip
        concerning = [f for f in feedback if question_id in f.question_ids or not f.question_ids]
        latest_feedback = max((f.created_at for f in concerning), default=None)
        reviewed = any(
            db.session.execute(db.select(Comment.id).where(Comment.attempt_id == a.id,
                                                           Comment.author_id != interview.owner_id)).first()
            or db.session.execute(db.select(Rating.id).where(Rating.attempt_id == a.id)).first()
            for a in attempts
        )  # fmt: skip
        rows.append({
            "question": question,
            "answered": bool(attempts),
            "again_after_feedback": latest_feedback is not None
            and any(a.created_at > latest_feedback for a in attempts),
            "reviewed": reviewed,
            "from_interview": question.interview_id == interview.id,
            "added_by": added[question_id].recruiter if question_id in added else None,
            "feedback": concerning,
        })  # fmt: skip
    return rows


def timeline(owner: User) -> list[dict]:
    """Interviews oldest first, each with the answers practised since the one before."""
    interviews = db.session.execute(
        db.select(Interview).where(Interview.owner_id == owner.id).order_by(Interview.created_at)
    ).scalars().all()  # fmt: skip
    attempts = db.session.execute(
        db.select(Attempt).join(Question).where(Attempt.owner_id == owner.id,
                                                ~Question.key.startswith(DICTATION_PREFIX))
    ).scalars().all()  # fmt: skip
    entries, previous = [], None
    for interview in interviews:
        since = [
            a
            for a in attempts
            if (previous is None or a.created_at >= previous)
            and a.created_at < interview.created_at
        ]
        rows = plan_progress(interview) if interview.plan_question_ids else []
        entries.append({"interview": interview, "practised_before": len(since),
                        "plan_total": len(rows),
                        "plan_answered": sum(1 for row in rows if row["answered"])})  # fmt: skip
        previous = interview.created_at
    after = [a for a in attempts if previous is not None and a.created_at >= previous]
    return entries + ([{"interview": None, "practised_before": len(after)}] if interviews else [])


def feedback_request(interview: Interview, tone: str, candidate_name: str) -> tuple[str, str]:
    """A short, polite request for feedback (subject, body) in one of a few tones."""
    role = f" for the {interview.role} role" if interview.role else ""
    when = f" on {interview.held_on:%d %B}" if interview.held_on else ""
    subject = f"Feedback on my interview{role}"
    openers = {
        "warm": f"Thank you again for taking the time to meet me{when}{role}. I really enjoyed learning about "
                f"the team at {interview.company}.",
        "brief": f"Thank you for interviewing me{when}{role} at {interview.company}.",
        "formal": f"I would like to thank you for the opportunity to interview{role} at {interview.company}{when}.",
    }  # fmt: skip
    asks = {
        "warm": "I am keen to keep improving, and I would be grateful for any feedback on where my answers "
                "fell short, or what would have made the difference.",
        "brief": "Could you share one or two things I could have done better? Even a short note would help.",
        "formal": "If your policy allows, I would appreciate any feedback on my interview performance, "
                  "in particular on the areas where I could strengthen my candidacy.",
    }  # fmt: skip
    closes = {
        "warm": f"I would love to be considered for future roles at {interview.company}. Thank you for your help.",
        "brief": "Thanks, and best of luck with the rest of the search.",
        "formal": f"I remain very interested in {interview.company} and hope our paths cross again.",
    }  # fmt: skip
    tone = tone if tone in openers else "warm"
    body = "\n\n".join(
        ["Hello,", openers[tone], asks[tone], closes[tone], f"Kind regards,\n{candidate_name}"]
    )
    return subject, body
