"""A mock interview from start to debrief: which turn comes next, and why.

The interview is a list of turns. The last turn is the current one: ``asking`` while it waits
for its answer, ``listening`` from the answer until the next turn is chosen. The next turn is
chosen by ``advance`` once the answer's transcript has been read (by meaning, or by the
keyword rules when the reading is late): a follow-up when a rule fires
(``app.interviewer.follow_ups``), else the next question, else the interview is finished.

Whoever sees the answer ready first calls ``advance`` (the worker right after reading the
answer, the answer request when the answer was already read, a page asking for the state
when the reading is late); the move from ``listening`` is one guarded UPDATE, so the next
turn is chosen once however many of them try.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.extensions import begin_write, db
from app.interviewer.follow_ups import follow_up_for, follow_ups_for, possible_wordings
from app.interviewer.voice import speak_ahead
from app.models import (
    Attempt,
    AttemptStatus,
    InterviewTurn,
    MockInterview,
    Question,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

MODES = ("practice", "real")
MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 3, 8, 5
SILENCE_CHOICES = (0, 3, 5, 8)  # seconds of silence that end an answer; 0: only Stop
REAL_THINK_S = 5  # the pause before the recorder starts in real mode, as in a room
# How long the next turn waits for the answer to be read by meaning before the keyword
# reading is used instead: a first model load on a busy worker must not stall the room.
MEANING_GRACE = timedelta(seconds=6)
GREETING = (
    "Hello, and thank you for coming in. I have {count} questions for you today. "
    "Take a moment before each answer if you need one. Let's begin."
)
CLOSING = "That's all my questions. Thank you for your time."


class InterviewError(Exception):
    """A request the interview cannot take; the message says why and what to do."""


def greeting(interview: MockInterview) -> str:
    """What the interviewer says before the first question."""
    return GREETING.format(count=len(interview.question_ids))


def start_interview(
    owner: User,
    questions: list[Question],
    *,
    mode: str = "practice",
    source: dict | None = None,
    silence_seconds: int = 5,
    think_seconds: int | None = None,
) -> MockInterview:
    """Save a new interview of these questions (in order) and ask the first."""
    if mode not in MODES:
        raise InterviewError(f"Mode “{mode}” is not one of: practice, real.")
    questions = list({q.id: q for q in questions}.values())
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        raise InterviewError(
            f"An interview has {MIN_QUESTIONS} to {MAX_QUESTIONS} questions; "
            f"{len(questions)} {'was' if len(questions) == 1 else 'were'} chosen. "
            "Choose more categories or a different number."
        )
    if silence_seconds not in SILENCE_CHOICES:
        raise InterviewError(
            "Silence to end an answer is one of "
            + ", ".join(f"{s} s" for s in SILENCE_CHOICES if s)
            + ", or 0 (only Stop ends it)."
        )
    if think_seconds is None:
        think_seconds = REAL_THINK_S if mode == "real" else 0
    think_seconds = round(think_seconds * (1 + (owner.extra_time_percent or 0) / 100))
    interview = MockInterview(
        owner_id=owner.id,
        mode=mode,
        status="asking",
        question_ids=[q.id for q in questions],
        source=source or {},
        silence_seconds=silence_seconds,
        think_seconds=think_seconds,
    )
    db.session.add(interview)
    db.session.flush()
    first = questions[0]
    db.session.add(
        InterviewTurn(
            mock_interview_id=interview.id,
            position=1,
            kind="question",
            question_id=first.id,
            text=first.text,
        )
    )
    db.session.commit()
    _prepare_voice(interview, first, opening=True)
    return interview


def owned_interview(user: User, interview_id: int) -> MockInterview | None:
    """The user's own interview with this id; None for anyone else's, or none."""
    interview = db.session.get(MockInterview, interview_id)
    return interview if interview is not None and interview.owner_id == user.id else None


def current_turn(interview: MockInterview) -> InterviewTurn | None:
    """The turn being asked or listened to; None once the interview is finished."""
    if interview.status == "finished" or not interview.turns:
        return None
    return interview.turns[-1]


def answer_turn(interview: MockInterview, turn: InterviewTurn, attempt: Attempt) -> None:
    """Take ``attempt`` as the answer to ``turn``, then choose the next turn if the answer
    is already read. In practice mode the last answered turn may be answered again (a
    retake): the turn chosen after it is dropped and chosen again from the new answer."""
    if interview.status == "finished":
        raise InterviewError("This interview is finished; start a new one to answer again.")
    if attempt.owner_id != interview.owner_id:
        raise InterviewError("That answer is not yours.")
    if attempt.question_id != turn.question_id:
        raise InterviewError(
            "That answer was recorded for another question; record one for this turn."
        )
    if attempt.status == AttemptStatus.FAILED:
        raise InterviewError(f"That answer could not be used: {attempt.error}")
    taken = db.session.execute(
        db.select(InterviewTurn.id).where(InterviewTurn.attempt_id == attempt.id)
    ).scalar_one_or_none()
    if taken is not None and taken != turn.id:
        raise InterviewError("That answer already answers another turn; record a new one.")
    current = current_turn(interview)
    if turn is not current:
        if not (interview.mode == "practice" and _is_retake(interview, turn)):
            raise InterviewError(
                "Only the current question can be answered"
                + (" (retakes are for practice mode)." if interview.mode == "real" else ".")
            )
        for later in [t for t in interview.turns if t.position > turn.position]:
            interview.turns.remove(later)
        db.session.flush()
    elif turn.attempt_id is not None and interview.mode == "real":
        raise InterviewError("In real mode each question is answered once.")
    turn.attempt_id = attempt.id
    interview.status = "listening"
    db.session.commit()
    advance(interview)


def _is_retake(interview: MockInterview, turn: InterviewTurn) -> bool:
    """The turn just answered, while the one chosen after it has no answer yet."""
    turns = interview.turns
    index = turns.index(turn)
    return turn.attempt_id is not None and index == len(turns) - 2 and turns[-1].attempt_id is None


def _ready(attempt: Attempt | None) -> bool:
    """Whether the answer can be read for the next turn: failed (nothing to read), or
    transcribed and read by meaning, or transcribed and the meaning is late."""
    if attempt is None:
        return False
    if attempt.status == AttemptStatus.FAILED:
        return True
    if attempt.status != AttemptStatus.DONE:
        return False
    if attempt.metrics_version is not None:
        return True
    return attempt.finished_at is None or utcnow() - attempt.finished_at >= MEANING_GRACE


def advance(interview: MockInterview) -> InterviewTurn | None:
    """Choose the next turn once the current answer is read; the new turn, or None when
    nothing moved (still waiting, someone else moved it, or the interview finished)."""
    db.session.refresh(interview)
    turn = current_turn(interview)
    if interview.status != "listening" or turn is None:
        return None
    attempt = db.session.get(Attempt, turn.attempt_id) if turn.attempt_id else None
    if not _ready(attempt):
        return None
    next_turn = _choose_next(interview, turn)
    db.session.commit()  # end the reads: the move below is its own write transaction
    begin_write()
    # The one move out of "listening": whoever loses this race leaves the turn alone.
    moved = db.session.execute(
        update(MockInterview)
        .where(MockInterview.id == interview.id, MockInterview.status == "listening")
        .values(
            status="finished" if next_turn is None else "asking",
            finished_at=utcnow() if next_turn is None else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        return None
    if next_turn is not None:
        next_turn.mock_interview_id = interview.id
        next_turn.position = turn.position + 1
        db.session.add(next_turn)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another process added this position first
        return None
    db.session.refresh(interview)
    if next_turn is not None and next_turn.kind == "question":
        _prepare_voice(interview, next_turn.question)
    return next_turn


def _prepare_voice(interview: MockInterview, question: Question, opening: bool = False) -> None:
    """Have the worker make, while the candidate answers, everything the interviewer may say
    next: this question's follow-ups and the next question (the greeting and closing too at
    the start), so the next turn's voice is ready at Stop."""
    texts = [
        question.text,
        *possible_wordings(question, follow_ups_for(question, interview.owner_id)),
    ]
    ids = interview.question_ids
    if question.id in ids and ids.index(question.id) + 1 < len(ids):
        following = db.session.get(Question, ids[ids.index(question.id) + 1])
        if following is not None:
            texts.append(following.text)
    if opening:
        texts = [greeting(interview), *texts, CLOSING]
    try:
        speak_ahead(texts)
    except Exception:
        # The voice is made when first asked for instead; the interview goes on.
        log.exception("the interviewer's speech for interview %s could not be queued", interview.id)


def _choose_next(interview: MockInterview, turn: InterviewTurn) -> InterviewTurn | None:
    """A follow-up on the current question if a rule fires, else its next question."""
    question = turn.question
    asked_here = _turns_of_question(interview, turn)
    answers = [
        a.metrics or {}
        for a in (db.session.get(Attempt, t.attempt_id) for t in asked_here if t.attempt_id)
        if a is not None and a.status == AttemptStatus.DONE
    ]
    if answers and answers[0]:
        follow_up = follow_up_for(
            question,
            answers,
            [t.trigger for t in asked_here if t.trigger],
            follow_ups_for(question, interview.owner_id),
        )
        if follow_up is not None:
            return InterviewTurn(
                kind="follow_up",
                question_id=question.id,
                text=follow_up.text,
                trigger=follow_up.trigger,
                why=follow_up.why,
            )
    ids = interview.question_ids
    position = ids.index(question.id) if question.id in ids else len(ids)
    for next_id in ids[position + 1 :]:
        following = db.session.get(Question, next_id)
        if following is not None:
            return InterviewTurn(kind="question", question_id=following.id, text=following.text)
    return None


def _turns_of_question(interview: MockInterview, turn: InterviewTurn) -> list[InterviewTurn]:
    """The question turn and the follow-ups asked after it, up to ``turn``."""
    run: list[InterviewTurn] = []
    for t in interview.turns:
        if t.position > turn.position:
            break
        if t.kind == "question":
            run = []
        run.append(t)
    return run


def advance_for_attempt(attempt_id: int) -> None:
    """After the worker read an answer: move the interview it answers, if any."""
    interview_id = db.session.execute(
        db.select(InterviewTurn.mock_interview_id).where(InterviewTurn.attempt_id == attempt_id)
    ).scalar_one_or_none()
    if interview_id is None:
        return
    interview = db.session.get(MockInterview, interview_id)
    if interview is not None:
        try:
            advance(interview)
        except Exception:
            # The answer is saved either way; the page asking for the state tries again.
            db.session.rollback()
            log.exception(
                "interview %s could not move on after answer %s", interview_id, attempt_id
            )


def turn_answered_by(attempt_id: int) -> InterviewTurn | None:
    """The mock interview turn this answer replied to, if it was given in one."""
    return db.session.execute(
        db.select(InterviewTurn).where(InterviewTurn.attempt_id == attempt_id).limit(1)
    ).scalar_one_or_none()


def finish_interview(interview: MockInterview) -> None:
    """End the interview now (the candidate pressed "End interview"); unanswered turns stay
    in the debrief as asked and not answered."""
    if interview.status != "finished":
        interview.status = "finished"
        interview.finished_at = utcnow()
        db.session.commit()


def answered_turns(interview: MockInterview) -> list[tuple[InterviewTurn, Attempt | None]]:
    """Every turn in order with its answer (None where none was given)."""
    ids = [t.attempt_id for t in interview.turns if t.attempt_id]
    attempts = {
        a.id: a for a in db.session.execute(db.select(Attempt).where(Attempt.id.in_(ids))).scalars()
    }
    return [(t, attempts.get(t.attempt_id)) for t in interview.turns]
