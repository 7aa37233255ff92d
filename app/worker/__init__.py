"""The transcription worker: the job queue and its tasks (``queue``), transcribing an attempt
whole or while it is still being recorded (``jobs``, ``live``), and the reaper that gives
work lost with a dead worker back to the queue (``reaper``)."""
