"""Privacy: deleting for real (an answer, a question's history, a whole account), keeping
recordings only as long as asked (``retention``), and exporting everything a user has
(``export``)."""
