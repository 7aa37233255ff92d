"""The mock interviewer: asks questions aloud, listens, follows up, and keeps the interview.

- ``voice``: what the interviewer says, synthesised once per text and voice (Piper) and
  stored like a recording; captions stand in when the voice is off or missing.
- ``follow_ups``: the rules that choose a follow-up from an answer's metrics, each named by
  its trigger, with the wording from the question's bank or the general one.
- ``interviews``: starting an interview, taking an answer for a turn, choosing the next turn
  and finishing, shared by the pages, the API and the worker.
"""
