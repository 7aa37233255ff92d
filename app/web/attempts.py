"""Attempts: upload an answer, watch it transcribe, replay it, and the history of them all."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from app.accounts.identity import AccountError
from app.extensions import db, htmx
from app.feedback import audit
from app.feedback.access import owned_attempt, viewable_attempt
from app.feedback.comments import add_comment, comments_for, mark_seen, pins
from app.feedback.errors import FeedbackError
from app.feedback.invitations import active_shares_of, invite, share_attempt
from app.feedback.reviews import rate as rate_attempt
from app.feedback.reviews import ratings_for, rubrics_for
from app.interviewer.interviews import turn_answered_by
from app.models import (
    WITHOUT_WORDS_OR_METRICS,
    Attempt,
    AttemptStatus,
    Comment,
    Question,
    SelfRating,
    utcnow,
)
from app.questions.debriefs import dictation_interview_id
from app.questions.practices import owned_practice, step_of
from app.questions.selection import categories, visible_question
from app.recordings.errors import AudioRejected, RecordingMissing, StorageError
from app.recordings.upload import delete_attempt, retry, save_recording
from app.reports.attempts import attempt_metrics, meaning_pending, transcript_marks
from app.reports.definitions import BY_KEY
from app.reports.goals import attempt_takeaway, carry_goal, goal_outcome
from app.reports.markdown import markdown_report, voice_lines
from app.reports.pages import page_of
from app.reports.takeaway import length_note, rates_judged
from app.reports.units import clock
from app.web.charts import line_chart
from app.web.errors import error_response, wants_json
from app.web.params import form_ids, int_arg
from app.web.practice import answer_page
from app.web.rendering import render

bp = Blueprint("attempts", __name__)
# The id of the line that asks for the reading by meaning (templates/attempts/_meaning_pending).
MEANING_PENDING_ID = "meaning-pending"


@bp.post("/attempts")
def create():
    """Receive a recorded answer; reply with the new attempt (JSON) or redirect to it."""
    question = visible_question(g.user, int_arg(request.form.get("question_id"), 0))
    practice = owned_practice(g.user, int_arg(request.form.get("practice_id")))
    try:
        attempt = save_recording(
            request.files.get("audio"),
            g.user.id,
            question,
            practice.id if practice else None,
            upload_id=request.form.get("upload_id"),
        )
    except AudioRejected as err:
        if wants_json():
            return jsonify(error=str(err)), err.status
        return answer_page(question, error=str(err)), err.status
    carry_goal(attempt)
    url = url_for("attempts.show", attempt_id=attempt.id)
    if wants_json():
        return jsonify(id=attempt.id, status=attempt.status, url=url), 201
    return redirect(url)


def _set_links(attempt: Attempt) -> dict:
    """Inside a practice set, Try again and Next question stay in the set (with its thinking
    time), and the last question offers Finish; outside one, Try again answers the question."""
    links = {"retry_url": url_for("questions.answer", question_id=attempt.question_id,
                                  after=attempt.id),
             "next_url": None, "finish_url": None}  # fmt: skip
    practice = owned_practice(g.user, attempt.practice_id)
    step = step_of(practice, attempt.question_id) if practice else None
    if step is None:
        return links
    links["retry_url"] = url_for("practice.step", practice_id=practice.id, step=step)
    if step < len(practice.question_ids):
        links["next_url"] = url_for("practice.step", practice_id=practice.id, step=step + 1)
    else:
        links["finish_url"] = url_for("practice.finish", practice_id=practice.id)
    return links


@bp.get("/attempts/<int:attempt_id>")
def show(attempt_id: int):
    """An attempt: live status while transcribing, then the transcript and the player.

    A dictation of an interview's questions is a note to its debrief, not an answer to score:
    its owner goes back to the debrief, where the questions heard wait to be confirmed."""
    attempt = viewable_attempt(g.user, attempt_id)
    interview_id = dictation_interview_id(attempt.question)
    if interview_id is not None and attempt.owner_id == g.user.id and not htmx:
        return redirect(url_for("debriefs.show", interview_id=interview_id) + "#questions")
    asking_for_meaning = htmx and request.headers.get("HX-Trigger") == MEANING_PENDING_ID
    if asking_for_meaning and meaning_pending(attempt):
        # Still being read: only the line that asks is replaced, nothing the candidate uses.
        return render_template("attempts/_meaning_pending.html", attempt=attempt)
    body = render("attempts/show.html", "status", **_show_context(attempt))
    # 286 tells htmx to stop polling: the transcript will not change any more.
    status = 286 if request.headers.get("HX-Request") and not attempt.is_pending else 200
    if asking_for_meaning:  # the reading is there: replace the answer's block, once
        return body, status, {"HX-Retarget": "#attempt-status", "HX-Reswap": "outerHTML"}
    return body, status


def _show_context(attempt: Attempt, error: str | None = None) -> dict:
    """Everything the attempt page and its fragments need."""
    is_owner = attempt.owner_id == g.user.id
    calm = g.user.calm_mode and is_owner
    metrics = attempt_metrics(attempt)
    if is_owner:
        mark_seen(attempt)
    ratings = ratings_for(attempt)
    mine = next((r for r in ratings if r.reviewer_id == g.user.id), None)
    comments = comments_for(attempt)
    marks = transcript_marks(None if calm else metrics, attempt.words or [])
    anchors, covered = pins(attempt, [item["comment"] for item in comments])
    for index in covered:
        marks["classes"][index] = (marks["classes"].get(index, "") + " commented").strip()
    marks["comments"] = anchors
    rubrics = rubrics_for(g.user) if not is_owner else []
    chosen = int_arg(request.args.get("rubric")) or (mine.rubric_id if mine else None)
    rubric = next((r for r in rubrics if r.id == chosen), rubrics[0] if rubrics else None)
    mock_turn = turn_answered_by(attempt.id)
    # A reply to a follow-up is a sentence or two: the question's length and structure
    # checks would judge it as a whole answer, so it gets no takeaway of its own.
    follow_up_reply = mock_turn is not None and mock_turn.kind == "follow_up"
    return {
        "attempt": attempt,
        "mock_turn": mock_turn,
        "is_owner": is_owner,
        **(
            _set_links(attempt)
            if is_owner
            else {"next_url": None, "retry_url": None, "finish_url": None}
        ),
        "ratings": SelfRating,
        "metrics": None if calm else metrics,
        "meaning_pending": is_owner and not calm and meaning_pending(attempt),
        "calm": calm,
        # The one thing to change next, shown first (to its owner: a coach has the figures and
        # the transcript), and the goal this try set out with, checked.
        "takeaway": attempt_takeaway(attempt, metrics)
        if is_owner and not follow_up_reply
        else None,
        "goal": goal_outcome(attempt, metrics) if is_owner else None,
        "judged": bool(metrics and metrics["words"] and rates_judged(metrics)),
        "length_note": length_note(metrics)
        if metrics and metrics["words"] and not follow_up_reply
        else "",
        "marks": marks,
        "pace_chart": None if calm or not metrics else pace_chart(metrics),
        "comments": comments,
        "reviews": ratings,
        "my_rating": mine,
        "rubrics": rubrics,
        "rubric": rubric,
        "audit": audit.events_for(attempt) if is_owner else [],
        "own_shares": active_shares_of(g.user) if is_owner else [],
        "audit_actions": audit.ACTIONS,
        "error": error,
    }


@bp.post("/attempts/<int:attempt_id>/comments")
def comment(attempt_id: int):
    """Add a comment (a reviewer), or reply to one (the candidate or the reviewer)."""
    attempt = viewable_attempt(g.user, attempt_id)
    form = request.form
    parent = None
    if form.get("parent_id"):
        parent = db.session.get(Comment, int_arg(form.get("parent_id"), 0))
        if parent is None or parent.attempt_id != attempt.id:
            abort(404)
    error = None
    try:
        add_comment(attempt, g.user, form.get("body", ""), start_s=form.get("start_s"),
                    end_s=form.get("end_s"), word_start=form.get("word_start"),
                    word_end=form.get("word_end"), suggestion=form.get("suggestion", ""),
                    parent=parent)  # fmt: skip
    except FeedbackError as err:
        error = str(err)
    if htmx:
        return render(
            "attempts/show.html", "comments", **_show_context(attempt, error)
        ), 422 if error else 200
    if error:
        flash(error)
    return redirect(url_for("attempts.show", attempt_id=attempt.id) + "#comments")


@bp.post("/attempts/<int:attempt_id>/comments/<int:comment_id>/addressed")
def addressed(attempt_id: int, comment_id: int):
    """The candidate marks a comment as dealt with (or not)."""
    attempt = owned_attempt(g.user, attempt_id)
    target = db.session.get(Comment, comment_id)
    if target is None or target.attempt_id != attempt.id:
        abort(404)
    target.addressed_at = None if target.addressed_at else utcnow()
    db.session.commit()
    if htmx:
        return render("attempts/show.html", "comments", **_show_context(attempt))
    return redirect(url_for("attempts.show", attempt_id=attempt.id) + "#comments")


@bp.post("/attempts/<int:attempt_id>/share")
def share(attempt_id: int):
    """The Share button: add this answer to chosen shares, or share it with someone new."""
    attempt = owned_attempt(g.user, attempt_id)
    chosen = form_ids(request.form.getlist("share"))
    later = request.form.get("later") == "1"
    email = request.form.get("email", "").strip()
    try:
        if email:
            created = invite(g.user, email, attempt_ids=[attempt.id], later=later)
            flash(f"Shared with {created.recruiter_email}. Send them the invitation link "
                  "from the Sharing page.")  # fmt: skip
        if chosen or not email:
            reached = share_attempt(g.user, attempt, chosen, later=later)
            flash(
                "Shared with "
                + ", ".join(s.recruiter_email for s in reached)
                + "."
                + (" Your later answers to this question will be shared too." if later else "")
            )
    except AccountError as err:
        flash(str(err))
    return redirect(url_for("attempts.show", attempt_id=attempt.id) + "#share")


@bp.post("/attempts/<int:attempt_id>/review")
def review(attempt_id: int):
    """A reviewer rates the attempt against a rubric, with an overall note."""
    attempt = viewable_attempt(g.user, attempt_id)
    if attempt.owner_id == g.user.id:
        abort(404)
    rubric = next(
        (r for r in rubrics_for(g.user) if r.id == int_arg(request.form.get("rubric_id"), 0)), None
    )
    error = None
    if rubric is None:
        error = "Choose a rubric."
    else:
        scores = {c["key"]: request.form.get(f"score-{c['key']}") for c in rubric.criteria}
        try:
            rate_attempt(attempt, g.user, rubric, scores, request.form.get("note", ""))
        except FeedbackError as err:
            error = str(err)
    if htmx:
        return render(
            "attempts/show.html", "review", **_show_context(attempt, error)
        ), 422 if error else 200
    if error:
        flash(error)
    return redirect(url_for("attempts.show", attempt_id=attempt.id) + "#review")


def pace_chart(metrics: dict):
    """The answer's pace over time as a small SVG, with the recommended band."""
    points = [((p["start"] + p["end"]) / 2, p["wpm"]) for p in metrics["pace_series"]]
    if len(points) < 2:
        return None
    return line_chart(
        points,
        label="Pace over the answer, words per minute",
        band=BY_KEY["wpm_speaking"].band,
        integer=True,
        x_labels=(clock(points[0][0]), clock(points[-1][0])),
    )


@bp.get("/attempts/<int:attempt_id>/report")
def report(attempt_id: int):
    """A printable report of the attempt, with its comments."""
    attempt = viewable_attempt(g.user, attempt_id)
    measured = attempt_metrics(attempt)
    metrics = None if g.user.calm_mode else measured
    return render(
        "attempts/report.html",
        attempt=attempt,
        metrics=metrics,
        takeaway=attempt_takeaway(attempt, measured),
        calm=g.user.calm_mode,
        judged=bool(metrics and metrics["words"] and rates_judged(metrics)),
        voice=voice_lines(metrics["delivery"]) if metrics and metrics.get("delivery") else [],
        comments=comments_for(attempt),
        reviews=ratings_for(attempt),
    )


@bp.get("/attempts/<int:attempt_id>/report.md")
def report_markdown(attempt_id: int):
    """The attempt's report as Markdown, to keep or send."""
    attempt = viewable_attempt(g.user, attempt_id)
    metrics = attempt_metrics(attempt)
    text = markdown_report(attempt, metrics, calm=g.user.calm_mode,
                           comments=comments_for(attempt),
                           takeaway=attempt_takeaway(attempt, metrics))  # fmt: skip
    response = current_app.response_class(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="rebound-attempt-{attempt.id}.md"'
    )
    return response


def _no_recording(attempt: Attempt) -> str:
    """Why an answer has no recording to play."""
    if attempt.status == AttemptStatus.RECORDING:
        return "This answer is still being recorded; it can be played once it is finished."
    if attempt.audio_key:
        return "This recording was deleted under its owner's retention setting."
    return "No audio arrived for this answer, so there is no recording to play."


@bp.get("/attempts/<int:attempt_id>/audio")
def audio(attempt_id: int):
    """The original recording, with range requests so the player can seek."""
    # Every request counts, whatever its Range: the log keeps one "listened" per 10 minutes.
    attempt = viewable_attempt(g.user, attempt_id, read="listened")
    if not attempt.has_recording:
        return error_response(404, _no_recording(attempt))
    store = current_app.extensions["rebound_store"]
    # One lookup per request: the player asks again for every seek, and with S3 a separate
    # existence check was a network round trip each time, even with the file cached here.
    try:
        path = store.local_path(attempt.audio_key)
    except RecordingMissing:
        return error_response(404, "The recording file is missing from the server's audio folder.")
    except StorageError:
        return error_response(503, "The recording cannot be fetched right now; try again soon.")
    response = send_file(
        path,
        mimetype=attempt.audio_mime,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@bp.post("/attempts/<int:attempt_id>/retry")
def retry_failed(attempt_id: int):
    """Queue a failed transcription again."""
    attempt = owned_attempt(g.user, attempt_id)
    retry(attempt)
    return redirect(url_for("attempts.show", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/rating")
def rate(attempt_id: int):
    """Record how the answer felt to the candidate (used to find questions to revisit)."""
    attempt = owned_attempt(g.user, attempt_id)
    if attempt.heard_nothing:
        # Nothing was heard: a rating would bring back a question for the wrong reason.
        return error_response(409, "This answer has no speech to rate. Record it again first.")
    value = request.form.get("rating", "")
    if value not in set(SelfRating):
        # Only the three buttons send a rating: anything else changes nothing already saved.
        return error_response(422, "Choose how it felt: I struggled, OK or Nailed it. "
                                   "Your saved rating is unchanged.")  # fmt: skip
    attempt.self_rating = value
    db.session.commit()
    if not htmx:
        return redirect(url_for("attempts.show", attempt_id=attempt.id))
    return render("attempts/show.html", "rating", attempt=attempt, ratings=SelfRating)


@bp.post("/attempts/<int:attempt_id>/delete")
def delete(attempt_id: int):
    """Delete an attempt and its recording for good."""
    attempt = owned_attempt(g.user, attempt_id)
    question_id = attempt.question_id
    delete_attempt(attempt)
    flash("The attempt and its recording were deleted.")
    return redirect(url_for("questions.show", question_id=question_id))


@bp.get("/history")
def history():
    """Every attempt, newest first, 50 a page, filterable by question and category."""
    question_id = int_arg(request.args.get("question"))
    category = request.args.get("category", "")
    query = (
        db.select(Attempt)
        .options(*WITHOUT_WORDS_OR_METRICS)
        .join(Question)
        .where(Attempt.owner_id == g.user.id)
    )
    if question_id:
        query = query.where(Attempt.question_id == question_id)
    if category:
        query = query.where(Question.category == category)
    total = db.session.execute(
        query.with_only_columns(db.func.count(Attempt.id)).order_by(None)
    ).scalar_one()
    attempts, older = page_of(query, int_arg(request.args.get("before")))
    answered = (
        db.session.execute(
            db.select(Question)
            .where(
                Question.id.in_(db.select(Attempt.question_id).where(Attempt.owner_id == g.user.id))
            )
            .order_by(Question.text)
        )
        .scalars()
        .all()
    )
    return render(
        "attempts/history.html",
        "results",
        attempts=attempts,
        total=total,
        older=older,
        answered=answered,
        categories=categories(g.user.id),
        question_id=question_id,
        category=category,
    )
