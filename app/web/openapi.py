"""The OpenAPI description of ``/api/v1`` (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from app.reports.definitions import METRICS

_ERROR = {"description": "JSON {error: message}", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}}}}}  # fmt: skip
_METRICS = {
    "type": "object",
    "description": "Speech metrics computed from the word timings.",
    "properties": {
        "words": {"type": "integer"},
        "speaking_s": {"type": "number", "description": "first to last word, minus pauses over 1.5 s"},
        "wpm_total": {"type": "number", "description": "words over the whole recording"},
        "fillers": {"type": "array", "items": {"$ref": "#/components/schemas/Span"}},
        "long_pauses": {"type": "array", "items": {"type": "object", "properties": {
            "start": {"type": "number"}, "end": {"type": "number"}, "duration_s": {"type": "number"}}}},
        "hedges": {"type": "array", "items": {"$ref": "#/components/schemas/Span"}},
        "relevance": {"type": "object", "description": "Whether the answer addresses its "
                      "question, read by meaning: similarity is the cosine (-1 to 1) of the "
                      "answer with the question, null without a question.", "properties": {
            "on_topic": {"type": "boolean"}, "similarity": {"type": ["number", "null"]}}},
        "star": {"type": "object", "description": "Situation, Task, Action, Result: a part is "
                 "true when a sentence reads as it; all false when the answer is off topic.",
                 "properties": {k: {"type": "boolean"} for k in
                                ("situation", "task", "action", "result")}},
        "star_spans": {"type": "array", "description": "Consecutive sentences that tell one "
                       "STAR part, in order.", "items": {"type": "object", "properties": {
            "part": {"enum": ["situation", "task", "action", "result"]},
            "start": {"type": "number"}, "end": {"type": "number"}, "text": {"type": "string"}}}},
        "talking_points": {"type": "array", "description": "The question's talking points in "
                           "order; start, end and text are the covering words when covered.",
                           "items": {"type": "object", "required": ["point", "covered"], "properties": {
            "point": {"type": "string"}, "covered": {"type": "boolean"},
            "start": {"type": "number"}, "end": {"type": "number"}, "text": {"type": "string"}}}},
        "delivery": {"oneOf": [{"$ref": "#/components/schemas/Delivery"}, {"type": "null"}]},
        # The tracked numbers the API reports as they are, described once in the metric table.
        **{metric.key: metric.schema for metric in METRICS if metric.schema},
    },
}  # fmt: skip

_TIMES = {"start": {"type": "number"}, "end": {"type": "number"}}
_SPANS = {
    "type": "array",
    "items": {"type": "object", "required": ["start", "end"], "properties": _TIMES},
}
_DELIVERY = {
    "type": "object",
    "description": "How the answer sounded, measured from the audio with Praat once the "
                   "transcript is saved (null until then, or when it could not be measured). "
                   "Times are seconds into the recording.",
    "required": ["pitch", "volume", "rising_endings", "filler_bursts", "repetitions", "rate"],
    "properties": {
        "pitch": {"type": "object", "properties": {
            "median_hz": {"type": ["number", "null"]},
            "spread_semitones": {"type": "number", "description": "robust standard deviation "
                                 "of the pitch of voiced speech"},
            "monotone_spans": _SPANS | {"description": "15 s windows whose pitch spread is "
                                        "under 1 semitone"}}},
        "volume": {"type": "object", "properties": {
            "mean_db": {"type": ["number", "null"], "description": "mean level of voiced "
                        "speech, Praat's dB (digital full scale is about 94 dB)"},
            "too_quiet": {"type": "boolean", "description": "voiced speech averages under "
                          "-41 dBFS (15 dB under the nominal speech level): too quiet to be "
                          "heard well; speak up, move closer or raise the microphone's input "
                          "level"},
            "trailing_off": _SPANS | {"description": "sentence ends at least 10 dB under "
                                      "the rest of the sentence"}}},
        "rising_endings": {"type": "array", "description": "statements whose pitch rises "
                           "at the end", "items": {"type": "object", "properties": _TIMES | {
            "text": {"type": "string"}}}},
        "filler_bursts": {"type": "array", "description": "three or more fillers within "
                          "30 s", "items": {"type": "object", "properties": _TIMES | {
            "count": {"type": "integer"}}}},
        "repetitions": {"type": "array", "description": "a word or two said twice, or a "
                        "phrase started again", "items": {"type": "object",
                                                          "properties": _TIMES | {
            "text": {"type": "string"}}}},
        "rate": {"type": "array", "description": "syllables per second of speaking time, "
                 "per 15 s window", "items": {"type": "object", "properties": _TIMES | {
            "syllables_per_s": {"type": "number"}}}},
    },
}  # fmt: skip

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Rebound API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "A personal token from Settings or `rebound tokens create`."}},
        "schemas": {
            "Span": {"type": "object", "properties": {"text": {"type": "string"},
                     "start": {"type": "number"}, "end": {"type": "number"}}},
            "Word": {"type": "object", "properties": {"word": {"type": "string"},
                     "start": {"type": "number"}, "end": {"type": "number"}}},
            "Metrics": _METRICS,
            "Delivery": _DELIVERY,
            "Attempt": {"type": "object", "properties": {
                "id": {"type": "integer"}, "question_id": {"type": "integer"},
                "status": {"enum": ["recording", "queued", "transcribing", "done", "failed"]},
                "partial_text": {"type": ["string", "null"], "description":
                    "While recording or transcribing: the words transcribed so far."},
                "error": {"type": ["string", "null"]}, "duration_s": {"type": "number"},
                "transcript": {"type": ["object", "null"], "properties": {
                    "text": {"type": "string"},
                    "words": {"type": "array", "items": {"$ref": "#/components/schemas/Word"}}}},
                "metrics": {"oneOf": [{"$ref": "#/components/schemas/Metrics"}, {"type": "null"}]},
                "takeaway": {"oneOf": [{"$ref": "#/components/schemas/Takeaway"}, {"type": "null"}]},
                "goal": {"type": ["object", "null"], "description":
                    "The goal this try set out with (the previous try's takeaway) and whether it met it.",
                    "properties": {"key": {"type": "string"}, "text": {"type": "string"},
                                   "met": {"type": ["boolean", "null"], "description":
                                           "null while it cannot be told from the measures"},
                                   "from_attempt_id": {"type": "integer"}}},
                "comments": {"type": "array", "items": {"type": "object"}},
                "ratings": {"type": "array", "items": {"type": "object"}},
            }},
            "Turn": {"type": "object", "description": "One thing the interviewer asked.", "properties": {
                "id": {"type": "integer"}, "position": {"type": "integer"},
                "kind": {"enum": ["question", "follow_up"]}, "question_id": {"type": "integer"},
                "text": {"type": "string", "description": "the caption: what is said"},
                "speech_url": {"type": ["string", "null"], "description": "null when the voice is off or not installed"},
                "trigger": {"type": ["string", "null"], "description":
                    "the rule that asked a follow-up: relevance.off_topic, star.result, star.action, "
                    "talking_point, length.short or length.long"},
                "why": {"type": ["string", "null"]}, "attempt_id": {"type": ["integer", "null"]}}},
            "MockInterview": {"type": "object", "properties": {
                "id": {"type": "integer"}, "mode": {"enum": ["practice", "real"]},
                "status": {"enum": ["asking", "listening", "finished"]},
                "turns": {"type": "array", "items": {"$ref": "#/components/schemas/Turn"}},
                "current_turn": {"oneOf": [{"$ref": "#/components/schemas/Turn"}, {"type": "null"}]},
                "turn": {"$ref": "#/components/schemas/Turn", "description": "on creation: the first question"},
                "greeting": {"type": "object"}, "closing": {"type": "object"},
                "voice_note": {"type": ["string", "null"]}, "url": {"type": "string"}}},
            "Takeaway": {"type": "object", "description":
                "The one thing to change next: a coach's suggestion or low rubric score first, "
                "then the measured checks in a fixed order (see app/reports/takeaway.py).",
                "properties": {"key": {"type": "string"}, "headline": {"type": "string"},
                               "why": {"type": "string", "description": "with the figure behind it"},
                               "goal": {"type": "string", "description": "for the next try of the question"}}},
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/questions": {"get": {"summary": "Questions you can practise",
                                      "responses": {"200": {"description": "questions"}, "401": _ERROR}}},
        "/api/v1/questions/{id}/speech": {"get": {
            "summary": "The question spoken by the interviewer",
            "description": "Opus in Ogg, made with Piper's offline voice on the first request and "
                           "kept; the ETag names the voice and the words, so send If-None-Match "
                           "to get 304. 503 when the voice is not installed or cannot speak now: "
                           "show the question's text instead.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "the question, spoken", "content": {
                "audio/ogg": {"schema": {"type": "string", "format": "binary"}}}},
                          "304": {"description": "the copy you hold (If-None-Match) is current"},
                          "401": _ERROR, "404": _ERROR,
                          "503": {**_ERROR, "description": "no voice: the error says why"}},
        }},
        "/api/v1/attempts": {
            "get": {"summary": "Your attempts, newest first, a page at a time",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                         "description": "attempts per page (default 50)"},
                        {"name": "before", "in": "query", "schema": {"type": "integer"},
                         "description": "the id of the last attempt of the previous page"}],
                    "responses": {"200": {"description": "{attempts: [...], next: URL of the next page, or null}"},
                                  "401": _ERROR}},
            "post": {
                "summary": "Upload an answer, or start one streamed in pieces",
                "description": "Multipart with `audio`: the whole recording, 202 queued. JSON with "
                               "`streaming: true`: 201 with an attempt in `recording`; send its pieces "
                               "with PUT .../chunks/{seq}, then POST .../finish.",
                "requestBody": {"content": {
                    "multipart/form-data": {"schema": {"type": "object",
                        "required": ["question_id", "audio"], "properties": {
                            "question_id": {"type": "integer"}, "audio": {"type": "string", "format": "binary"},
                            "upload_id": {"type": "string", "maxLength": 64, "description":
                                "Any id you choose for this take: sending it again (a retry) returns the first attempt."}}}},
                    "application/json": {"schema": {"type": "object",
                        "required": ["question_id", "streaming"], "properties": {
                            "question_id": {"type": "integer"}, "streaming": {"const": True},
                            "upload_id": {"type": "string", "description": "the same id twice gives the same attempt"},
                            "practice_id": {"type": "integer", "description": "a practice session of yours"}}}},
                }},
                "responses": {"201": {"description": "{id, status: recording, url}"},
                              "202": {"description": "{id, status, url}"}, "400": _ERROR, "401": _ERROR,
                              "404": _ERROR, "413": _ERROR, "422": _ERROR,
                              "429": {**_ERROR, "description": "too many uploads in progress at once"},
                              "507": {**_ERROR, "description": "the server's disk is full; nothing was saved"}},
            },
        },
        "/api/v1/attempts/{id}/chunks/{seq}": {"put": {
            "summary": "Send piece seq (0, 1, 2, …) of a streamed recording",
            "description": "The pieces joined in order are the recording. Sending a stored piece again "
                           "with the same bytes is a no-op; different bytes are refused with 409.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "seq", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}},
                           {"name": "last", "in": "query", "required": False, "schema": {"type": "boolean"},
                            "description": "true on the recording's last piece, when finish follows at once: "
                                           "no live transcript is made of it, so the final one starts sooner"}],
            "requestBody": {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}},
            "responses": {"204": {"description": "stored (or already stored)"}, "401": _ERROR, "404": _ERROR,
                          "409": _ERROR, "413": _ERROR, "415": {**_ERROR, "description": "not sent as raw bytes (application/octet-stream)"}, "422": _ERROR, "503": _ERROR, "507": _ERROR},
        }},
        "/api/v1/attempts/{id}/finish": {"post": {
            "summary": "Finish a streamed recording: join its pieces and queue the transcript",
            "description": "Idempotent. A gap in the pieces gives 422 with `missing`: send them, then "
                           "finish again. A recording left unfinished is finished by the worker after "
                           "ABANDONED_RECORDING_SECONDS with the pieces before the first gap.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"202": {"description": "{id, status, url}"}, "401": _ERROR, "404": _ERROR,
                          "422": {"description": "JSON {error, missing?: [seq…]}"}, "429": _ERROR,
                          "503": _ERROR, "507": _ERROR},
        }},
        "/api/v1/attempts/{id}/events": {"get": {
            "summary": "Follow an attempt until its transcript is final (Server-Sent Events)",
            "description": "Events, each with one line of JSON: `status` {id, status, partial_text, "
                           "notice} at once and whenever it changes; then one of `done` {id, status, "
                           "duration_s, transcript: {text, words}}, `failed` {id, status, error} or "
                           "`gone` (deleted), and the stream ends. A stream still pending after "
                           "EVENT_STREAM_SECONDS (60) ends too: connect again (EventSource does). "
                           "429 or 503 when you or the server follow too many answers at once: "
                           "poll GET /api/v1/attempts/{id} instead.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "the event stream", "content": {
                "text/event-stream": {"schema": {"type": "string"}}}},
                          "401": _ERROR, "404": _ERROR,
                          "429": {**_ERROR, "description": "you follow too many answers at once"},
                          "503": {**_ERROR, "description": "the server follows as many as it can"}},
        }},
        "/api/v1/attempts/{id}/comments": {"post": {
            "summary": "Comment on an attempt shared with you",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["body"],
                "properties": {"body": {"type": "string"}, "start_s": {"type": "number"},
                               "end_s": {"type": "number"}, "suggestion": {"type": "string"}}}}}},
            "responses": {"201": {"description": "the comment"}, "400": _ERROR, "401": _ERROR,
                          "403": {**_ERROR, "description": "on your own answer you reply; a reviewer starts a comment"},
                          "404": _ERROR, "422": _ERROR},
        }},
        "/api/v1/attempts/{id}/share": {"post": {
            "summary": "Share one of your answers with some of your shares (as a candidate)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                "required": ["share_ids"], "properties": {
                    "share_ids": {"type": "array", "items": {"type": "integer"}},
                    "later": {"type": "boolean",
                              "description": "share the answers you give to its question later too"}}}}}},
            "responses": {"200": {"description": "{share_ids}: the shares it reached"}, "400": _ERROR,
                          "401": _ERROR, "404": _ERROR, "422": _ERROR},
        }},
        "/api/v1/shares": {"post": {
            "summary": "Share everything with a recruiter (as a candidate)",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                "required": ["recruiter_email"], "properties": {"recruiter_email": {"type": "string"}}}}}},
            "responses": {"201": {"description": "{id, invite_url}"}, "400": _ERROR, "401": _ERROR, "422": _ERROR},
        }},
        "/api/v1/shares/{id}": {"delete": {
            "summary": "Stop sharing",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "stopped"}, "401": _ERROR, "404": _ERROR},
        }},
        "/api/v1/attempts/{id}": {"get": {
            "summary": "One attempt with its transcript and metrics",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "the attempt", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Attempt"}}}}, "401": _ERROR, "404": _ERROR},
        }},
        "/api/v1/mock-interviews": {"post": {
            "summary": "Start a mock interview: the interviewer asks its first question",
            "description": "Questions: `question_ids` (3-8 of yours), or a draw of `count` (3-8, "
                           "default 5) from `category` / `categories` (none: any), or your coach's "
                           "`assignments`, or a debrief's plan (`debrief_id`). `mode`: `practice` "
                           "(feedback after each answer, retakes) or `real` (none until the end). "
                           "`silence_seconds`: a silence that ends an answer in the page (0: only Stop).",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                "question_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 8},
                "category": {"type": "string"}, "categories": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer", "minimum": 3, "maximum": 8},
                "assignments": {"type": "boolean"}, "debrief_id": {"type": "integer"},
                "mode": {"enum": ["practice", "real"]},
                "silence_seconds": {"enum": [0, 3, 5, 8]}}}}}},
            "responses": {"201": {"description": "the interview, with `turn`: the question being asked",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MockInterview"}}}},
                          "400": _ERROR, "401": _ERROR, "422": _ERROR},
        }},
        "/api/v1/mock-interviews/{id}": {"get": {
            "summary": "Where a mock interview stands: its turns, the current one, each follow-up's trigger",
            "description": "`status`: `asking` (the current turn waits for its answer), `listening` "
                           "(an answer is being read; the next turn follows within moments), `finished`.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "the interview", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/MockInterview"}}}}, "401": _ERROR, "404": _ERROR},
        }},
        "/api/v1/mock-interviews/{id}/turns/{turn_id}/answer": {"post": {
            "summary": "Answer the current turn",
            "description": "Multipart `audio` (the recording), or JSON `{attempt_id}` for an answer "
                           "streamed with the attempts API. In practice mode the last answered turn "
                           "may be answered again while its next turn has no answer (a retake).",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "turn_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"content": {
                "application/json": {"schema": {"type": "object", "required": ["attempt_id"],
                                                "properties": {"attempt_id": {"type": "integer"}}}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["audio"], "properties": {
                    "audio": {"type": "string", "format": "binary"}, "upload_id": {"type": "string"}}}}}},
            "responses": {"202": {"description": "the interview, now `listening` (or already moved on)",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MockInterview"}}}},
                          "400": _ERROR, "401": _ERROR, "404": _ERROR,
                          "409": {**_ERROR, "description": "not the turn being asked, or no retakes in real mode"},
                          "413": _ERROR, "422": _ERROR, "429": _ERROR, "507": _ERROR},
        }},
        "/api/v1/mock-interviews/{id}/turns/{turn_id}/speech": {"get": {
            "summary": "The turn as the interviewer says it",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "turn_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "Opus audio", "content": {"audio/ogg": {"schema": {"type": "string", "format": "binary"}}}},
                          "304": {"description": "not modified"}, "401": _ERROR, "404": _ERROR,
                          "503": {**_ERROR, "description": "the interviewer's voice is not installed: use the text"}},
        }},
        "/api/v1/mock-interviews/{id}/speech/{part}": {"get": {
            "summary": "The interviewer's greeting or closing line",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "part", "in": "path", "required": True, "schema": {"enum": ["greeting", "closing"]}}],
            "responses": {"200": {"description": "Opus audio", "content": {"audio/ogg": {"schema": {"type": "string", "format": "binary"}}}},
                          "304": {"description": "not modified"}, "401": _ERROR, "404": _ERROR,
                          "503": {**_ERROR, "description": "the interviewer's voice is not installed: use the text"}},
        }},
    },
}  # fmt: skip

# Any operation can answer 400 for a value no field may hold: a NUL character (refused for
# every request in app/web/security.py) or a number the database cannot store.
for _operations in OPENAPI["paths"].values():
    for _operation in _operations.values():
        _operation["responses"].setdefault(
            "400", {**_ERROR, "description": "a malformed value, such as a NUL character"}
        )
