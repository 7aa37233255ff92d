"""Understanding what an answer says, offline: a small sentence encoder (all-MiniLM-L6-v2 run
with NumPy, ``encoder``), the transcript cut into timed sentences (``sentences``), and the
decisions taken by meaning — relevance, STAR parts, talking points (``meaning``)."""
