"""Questions and what to practise: the question banks (``banks``), which questions a practice
session draws (``selection``), practice sessions (``practices``), a recruiter's assignments
(``assignments``), and the interview debriefs that turn a real interview into a plan
(``debriefs``)."""
