"""What the numbers say: speech metrics measured from word timings (``speech``), the one
table that names and explains each tracked metric (``definitions``), one answer's metrics and
transcript marks (``attempts``), progress across answers (``progress``), answers a page at a
time (``pages``), two answers compared (``compare``), and reports as Markdown or JSON records
(``markdown``, ``records``)."""
