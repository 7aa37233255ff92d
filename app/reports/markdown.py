"""One answer as a Markdown report, to keep or send."""

from __future__ import annotations

from app.models import Attempt
from app.reports.definitions import BY_KEY
from app.reports.takeaway import RATES_MIN_WORDS, Takeaway, length_note, rates_judged
from app.reports.units import clock, gap, metric_value, number, plural


def markdown_report(
    attempt: Attempt,
    metrics: dict | None,
    calm: bool = False,
    comments: list[dict] | None = None,
    takeaway: Takeaway | None = None,
) -> str:
    """A plain-text report of one attempt: question, the one thing to fix first, transcript
    and (unless calm) metrics; figures a very short answer cannot support are left out."""
    q = attempt.question
    note = length_note(metrics) if metrics and metrics["words"] and not calm else ""
    lines = [
        f"# {q.text}",
        "",
        f"- Category: {q.category}",
        f"- Answered: {attempt.created_at:%Y-%m-%d %H:%M} UTC",
        f"- Length: {clock(attempt.duration_s)} (suggested {clock(q.answer_seconds)})"
        + (f". {note}" if note else ""),
        "",
    ]
    if takeaway:
        lines += ["## Fix this first", "", f"**{takeaway.headline}**", ""]
        # Calm mode keeps the headline, in words, and leaves out the figures.
        lines += [] if calm else [takeaway.why, "", f"Goal for the next try: {takeaway.goal}", ""]
    lines += [
        "## Transcript",
        "",
        attempt.transcript_text or "(no speech was heard)",
        "",
    ]
    if metrics and not calm:
        pace, fillers = BY_KEY["wpm_speaking"], BY_KEY["fillers_per_100_words"]
        if metrics.get("off_topic_note"):
            lines += [f"**Off topic.** {metrics['off_topic_note']}", ""]
        judged = metrics["words"] and rates_judged(metrics)
        lines += [
            "## Delivery",
            "",
            f"- Pace: {number(metrics['wpm_speaking'])} words per minute while speaking, "
            f"{number(metrics['wpm_total'])} over the whole recording "
            f"(recommended {pace.band_text})"
            if judged
            else f"- Pace: not measured (fewer than {RATES_MIN_WORDS} words)",
            f"- Filler words: {len(metrics['fillers'])}"
            + (
                f" ({fillers.label.lower()}: {metric_value('fillers_per_100_words', metrics['fillers_per_100_words'])})"
                if judged
                else ""
            )
            + (
                ": "
                + ", ".join(f'"{f["text"]}" at {clock(f["start"])}' for f in metrics["fillers"])
                if metrics["fillers"]
                else ""
            ),
            f"- Long pauses (over 1.5 s): {len(metrics['long_pauses'])}"
            + (f", longest {gap(metrics['longest_pause_s'])}" if metrics["long_pauses"] else ""),
            f"- Hedges: {', '.join(h['text'] for h in metrics['hedges']) or 'none'}",
            f"- I / we: {metrics['ownership']['i']} / {metrics['ownership']['we']}",
            "",
        ]
        if metrics.get("delivery"):
            lines += ["## Voice", ""] + [f"- {line}" for line in voice_lines(metrics["delivery"])]
            lines.append("")
        if metrics["behavioural"]:
            lines += ["## Structure (STAR)", ""]
            for part, found in metrics["star"].items():
                said = (
                    [s for s in metrics["star_spans"] if s["part"] == part]
                    if metrics.get("read_by") == "meaning"
                    else metrics["star_evidence"][part]
                )
                words = ", ".join(f'"{e["text"]}"' for e in said[:3])
                lines.append(f"- {part.title()}: {'found (' + words + ')' if found else 'missing'}")
            lines += [f"- {hint}" for hint in metrics["star_missing"]]
            lines.append("")
        if metrics["talking_points"]:
            lines += ["## Talking points", ""]
            lines += [
                f"- [{'x' if p['covered'] else ' '}] {p['point']}"
                for p in metrics["talking_points"]
            ]
            lines.append("")
    return "\n".join(lines)


def _at(spans: list[dict]) -> str:
    """Spans as the Voice card shows them: "at 12.0–15.0 s, 62.4–64.0 s"."""
    return "at " + ", ".join(f"{s['start']:.1f}–{s['end']:.1f} s" for s in spans)


def voice_lines(delivery: dict) -> list[str]:
    """How the answer sounded (``metrics.delivery``), one line a measure, for both exports:
    the Markdown report and the printable page. Delivery stored before a measure existed
    (no ``too_quiet``) reads as without it."""
    pitch, volume = delivery["pitch"], delivery["volume"]
    lines = []
    if pitch.get("median_hz"):
        flat = pitch["monotone_spans"]
        lines.append(
            f"Pitch spread: {number(pitch['spread_semitones'], 1)} semitones around "
            f"{number(pitch['median_hz'])} Hz; "
            + (f"flat stretches (under 1 semitone) {_at(flat)}" if flat else "no flat stretch")
        )
    else:
        lines.append("Pitch: too little voiced speech to measure")
    if volume.get("too_quiet"):
        lines.append(
            "Too quiet to be heard well: speak up, sit closer to the microphone or raise its "
            "input level"
        )
    if volume["trailing_off"]:
        lines.append(f"Sentence ends that fade (10 dB or more): {_at(volume['trailing_off'])}")
    if delivery["rising_endings"]:
        lines.append(
            "Statements that end rising: "
            + ", ".join(f'"{r["text"]}" at {clock(r["start"])}' for r in delivery["rising_endings"])
        )
    if delivery["filler_bursts"]:
        lines.append(
            "Filler bursts (three or more within 30 s): "
            + ", ".join(
                f"{plural(b['count'], 'filler')} {_at([b])}" for b in delivery["filler_bursts"]
            )
        )
    if delivery["repetitions"]:
        lines.append(
            "Restarts and repeated words: "
            + ", ".join(f'"{r["text"]}" at {clock(r["start"])}' for r in delivery["repetitions"])
        )
    if delivery["rate"]:
        lines.append(
            "Syllables per second, 15 s at a time: "
            + ", ".join(
                f"{number(r['syllables_per_s'], 1)} at {clock(r['start'])}"
                for r in delivery["rate"]
            )
        )
    return lines
