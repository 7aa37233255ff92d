"""What an answer says, by meaning: whether it addresses its question, which sentences tell
the situation, task, action and result, and which talking points it covers.

``understand`` is the one entry point; everything it decides is measured against the
labelled answers in ``bench/understanding_set`` (``bench/understanding.py``), where the
thresholds below were calibrated. The prototype sentences are ours, written to describe each
STAR part in the many ways people tell a story; the cue phrases are the keyword rules' lists,
kept as a second signal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from app.understanding.encoder import SentenceEncoder, sentence_encoder
from app.understanding.points import cover_points
from app.understanding.relevance import QuestionReading, addresses, topic_margin
from app.understanding.sentences import Sentence, split_sentences

# The cosine rule, for a question known only by its text or with no rivals to weigh it
# against (app.understanding.relevance decides otherwise). Calibrated on the 66 answers of
# bench/understanding_set/answers.yaml (bench/UNDERSTANDING.md).
ON_TOPIC_MIN = 0.10  # cosine of the answer's mean sentence with the question: below, off topic
CLEARLY_ON_TOPIC = 0.25  # at or above this cosine, on topic whatever the ranking says
RANK_MAX = 13  # between the two: off topic when more reference questions are closer than this
STAR_MIN = 0.22  # a sentence reads as a STAR part at this cosine with the part's prototypes
CUE_BONUS = 0.16  # added to a part's score when the sentence holds one of its cue phrases
# Sentences that set the scene read as tasks by meaning alone: a task needs one of its cue
# phrases ("my job was", "i had to") unless its meaning is this close to a task prototype.
CUE_GATED = {"task": 0.45}

# An answer's closeness to its question means little alone: a story about teamwork is close
# to every behavioural question. So it is also ranked against these questions, ours, across
# the usual topics of an interview; an answer closer to many of them than to its own question
# is about something else.
REFERENCE_QUESTIONS = [
    "Tell me about yourself.",
    "Why do you want this job?",
    "What are your salary expectations?",
    "Where do you see yourself in five years?",
    "What is your greatest strength?",
    "What is your biggest weakness?",
    "Why are you leaving your current job?",
    "Tell me about a time you worked in a team.",
    "Tell me about a conflict with a colleague.",
    "Tell me about a time you failed.",
    "Describe a time you showed leadership.",
    "How do you handle stress and pressure?",
    "Tell me about a mistake you made at work.",
    "How do you prioritise your work when everything is urgent?",
    "What do you know about our company?",
    "Why should we hire you?",
    "Do you have any questions for us?",
    "Tell me about a gap in your CV.",
    "Describe a difficult customer you dealt with.",
    "Tell me about a time you missed a deadline.",
    "What do you do in your free time?",
    "What are your hobbies outside work?",
    "Are you willing to relocate or travel?",
    "What technical skills and tools do you know?",
    "Tell me about your education.",
    "What achievement are you most proud of?",
    "How would your friends describe you?",
    "Would you like to work from home?",
    "Tell me about a time you disagreed with your manager.",
    "Tell me about a time you had to learn something new quickly.",
    "How do you handle feedback and criticism?",
    "Tell me about a decision you made without all the information.",
    "Tell me about a time you had to change your plans at short notice.",
    "What motivates you at work?",
    "Describe your ideal manager.",
    "Tell me about a time you went beyond what was asked.",
]
STAR_PARTS = ("situation", "task", "action", "result")
STAR_PROTOTYPES = {
    "situation": [
        "A couple of years ago I was working at a small company.",
        "At the time I was part of a team that looked after our biggest customer.",
        "It happened when I was in my previous job, in the middle of a busy season.",
        "We had just launched a new product and things were going wrong.",
        "Our team was short of people and the project was already behind.",
        "The background is that the company was going through a reorganisation.",
        "There was a problem with a client who was unhappy with our service.",
        "I was working as an analyst in the finance department then.",
    ],
    "task": [
        "My job was to fix the problem before the deadline.",
        "I was responsible for delivering the project on time.",
        "It was up to me to decide what we should do.",
        "I had to find a way to keep the customer.",
        "The goal was to cut costs without losing quality.",
        "I was asked to lead the work and bring the team together.",
        "My role was to make sure everyone had what they needed.",
        "The challenge for me was to get it done with half the people.",
    ],
    "action": [
        "So I set up a meeting with everyone involved.",
        "I called the customer and listened to what went wrong.",
        "First I looked at the data, then I wrote a plan.",
        "I spoke to my manager privately and showed her the figures.",
        "I built a simple spreadsheet to track the work every day.",
        "I asked each person what they needed and changed the schedule.",
        "I decided to drop the smaller tasks and focus on the urgent ones.",
        "I trained the team on the new process myself.",
    ],
    "result": [
        "In the end we delivered on time and the client renewed.",
        "As a result, costs went down by twenty percent.",
        "The outcome was that the customer stayed with us.",
        "After that the problem never came back.",
        "We finished a week early and the team was proud of it.",
        "Since then I always check with the team before I promise a date.",
        "Looking back, I learned to raise problems earlier.",
        "It worked: the complaints stopped within a month.",
    ],
}
STAR_CUES = {
    "situation": [
        "when i was", "at my last", "at my previous", "in my last", "in my previous",
        "last year", "last spring", "last summer", "last autumn", "last winter", "at the time",
        "a few years ago", "a year ago", "years ago", "the situation", "the context",
        "while i was", "we were", "our team was", "the company was", "the project was",
        "there was a", "i was working", "i worked at", "in my role as",
    ],
    "task": [
        "my role", "my job was", "i was responsible", "i needed to", "i had to", "the goal",
        "my task", "i was asked", "the challenge was", "we needed to", "my responsibility",
        "the problem was", "i was supposed to", "asked me to", "my goal", "the aim was",
        "the deadline", "i was in charge",
    ],
    "action": [
        "so i", "first i", "then i", "i decided", "i started", "i set up", "i reached out",
        "i talked", "i spoke", "i wrote", "i built", "i led", "i created", "i proposed",
        "i organised", "i organized", "i asked", "i suggested", "i worked with", "i called",
        "i met", "i paired", "i changed", "i took", "i made", "i read", "i sorted",
        "i shared", "i explained", "i negotiated", "i listened", "i prioritised",
        "i prioritized", "i rewrote", "i added", "i cut",
    ],
    "result": [
        "as a result", "in the end", "the result", "which meant", "ended up", "the outcome",
        "resulted in", "led to", "since then", "i learned", "i learnt", "we achieved",
        "we delivered", "we shipped", "we reduced", "we increased", "we saved", "we finished",
        "renewed", "improved", "reduced", "increased", "percent", "on time", "finally",
        "looking back", "afterwards", "the customer", "the client was",
    ],
}  # fmt: skip


def _words_of(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w']+", " ", text.lower().replace("’", "'")).split()) + " "


def _has_cue(reading: str, part: str) -> bool:
    said = _words_of(reading)
    return any(f" {cue} " in said for cue in STAR_CUES[part])


def _point_text(question_text: str, point: str) -> str:
    # A talking point alone ("owns their part") is too short to mean much; read it in the
    # light of its question, which measured better on the labelled set.
    return f"{question_text} {point}"


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _span(sentences: list[Sentence]) -> dict:
    return {"start": round(sentences[0].start, 2), "end": round(sentences[-1].end, 2),
            "text": " ".join(s.text for s in sentences),
            "indexes": [i for s in sentences for i in s.indexes]}  # fmt: skip


def understand(
    words: list[dict],
    question_text: str | None,
    talking_points: list[str] | tuple[str, ...] = (),
    skip: frozenset[int] | set[int] = frozenset(),
    encoder: SentenceEncoder | None = None,
    paraphrases: Mapping[str, Sequence[str]] | None = None,
    tips: Sequence[str] = (),
    rivals: tuple[QuestionReading, ...] = (),
) -> dict:
    """What one answer says, by meaning: the signals feedback, follow-ups and the takeaway
    build on. Loads the sentence model on first use (once per process).

    ``words`` are Whisper words (``{"word", "start", "end"}``); ``skip`` holds the positions
    of fillers, left out of what the encoder reads; ``paraphrases`` maps a talking point to
    sentences that say it in other words (see ``app.understanding.points``); ``tips`` are the question's
    tips and ``rivals`` the other questions an answer is weighed against
    (``app.understanding.relevance``). Returns a JSON-ready dict:

    * ``relevance``: ``{"on_topic": bool, "similarity": float}``, the cosine (-1..1) of the
      answer's mean sentence with the question. Off topic when a rival question is clearly
      closer (``relevance.topic_margin``); with no rivals or a question known only by its
      text, when the cosine is low (``ON_TOPIC_MIN``, ``RANK_MAX``). Always on topic when
      there is no question or no words.
    * ``star``: ``{part: bool}`` for situation, task, action, result: a part is there when
      at least one sentence reads as it. All false when the answer is off topic.
    * ``star_spans``: ``[{"part", "start", "end", "text", "indexes"}]``, consecutive
      sentences of one part merged, in order (empty when off topic).
    * ``talking_points``: ``[{"point", "covered", "similarity"}]`` in the question's order,
      with ``start``, ``end``, ``text`` and ``indexes`` of the covering sentence (or window
      of two) when covered. None covered when off topic.
    * ``sentences``: ``[{"start", "end", "text", "part"}]`` (``part`` is a STAR part or
      ``"other"``), for callers that need the whole reading.
    """
    sentences = split_sentences(words, skip)
    points = list(talking_points or ())
    empty = {"relevance": {"on_topic": True, "similarity": None}, "star": dict.fromkeys(STAR_PARTS, False),
             "star_spans": [], "talking_points": [{"point": p, "covered": False, "similarity": None} for p in points],
             "sentences": []}  # fmt: skip
    if not sentences:
        return empty
    encoder = encoder or sentence_encoder()
    prototypes = [text for part in STAR_PARTS for text in STAR_PROTOTYPES[part]]
    extra = [question_text] + REFERENCE_QUESTIONS if question_text else []
    extra += [_point_text(question_text or "", p) for p in points] + points
    said_otherwise = [list((paraphrases or {}).get(p) or ()) for p in points]
    extra += [text for texts in said_otherwise for text in texts]
    vectors = encoder.embed([s.reading for s in sentences] + prototypes + extra)
    said, rest = vectors[: len(sentences)], vectors[len(sentences) :]
    proto, rest = rest[: len(prototypes)], rest[len(prototypes) :]

    if question_text:
        gist = _unit(said.mean(0))
        similarity = float(gist @ rest[0])
        closer = int((rest[1 : 1 + len(REFERENCE_QUESTIONS)] @ gist > similarity).sum())
        rest = rest[1 + len(REFERENCE_QUESTIONS) :]
        reading = QuestionReading(
            question_text, tuple(tips), tuple(points), tuple(t for ts in said_otherwise for t in ts)
        )
        margin = topic_margin(gist, reading, tuple(rivals), proto, encoder)
        on_topic = (
            addresses(margin, reading)
            if margin is not None
            else similarity >= CLEARLY_ON_TOPIC
            or (similarity >= ON_TOPIC_MIN and closer <= RANK_MAX)
        )
        relevance = {"on_topic": on_topic, "similarity": round(similarity, 3)}
    else:
        relevance = {"on_topic": True, "similarity": None}
    on_topic = relevance["on_topic"]

    # STAR: each sentence's best part, from its closest prototype plus the cue bonus.
    per_part = (said @ proto.T).reshape(len(sentences), len(STAR_PARTS), -1).max(-1)
    for column, part in enumerate(STAR_PARTS):
        cued = np.array([_has_cue(s.reading, part) for s in sentences])
        per_part[:, column] += np.where(cued, CUE_BONUS, 0.0)
        if part in CUE_GATED:
            gated = ~cued & (per_part[:, column] < CUE_GATED[part])
            per_part[gated, column] = -1.0
    labels = [STAR_PARTS[int(row.argmax())] if row.max() >= STAR_MIN and on_topic else "other"
              for row in per_part]  # fmt: skip
    spans: list[dict] = []
    run: list[Sentence] = []
    for index, (sentence, label) in enumerate(zip(sentences, labels, strict=True)):
        run.append(sentence)
        if index + 1 == len(sentences) or labels[index + 1] != label:
            if label != "other":
                spans.append({"part": label} | _span(run))
            run = []

    # Talking points: the closest sentence, or window of two sentences (their vectors'
    # mean, which costs no second pass of the model).
    windows = [[s] for s in sentences] + [
        list(p) for p in zip(sentences, sentences[1:], strict=False)
    ]
    window_vectors = np.vstack(
        [said] + ([_unit_rows(said[:-1] + said[1:])] if len(said) > 1 else [])
    )
    in_context, alone = rest[: len(points)], rest[len(points) : 2 * len(points)]
    others = rest[2 * len(points) :]
    otherwise_vectors: list[np.ndarray | None] = []
    for texts in said_otherwise:
        otherwise_vectors.append(others[: len(texts)] if texts else None)
        others = others[len(texts) :]
    covered = cover_points(
        points,
        window_vectors,
        in_context,
        alone,
        otherwise_vectors,
        lambda index: _span(windows[index]),
        on_topic,
    )

    return {
        "relevance": relevance,
        "star": {part: any(label == part for label in labels) for part in STAR_PARTS},
        "star_spans": spans,
        "talking_points": covered,
        "sentences": [
            {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text, "part": label}
            for s, label in zip(sentences, labels, strict=True)
        ],  # fmt: skip
    }


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
