"""What users see. HTML for the web app, drawn by Jinja2 templates (templates/, autoescaped) from the typed
results of search/results.py: cards (the answer and result cards), checkview (a quote or claim checked),
reader (the Read tab, and `Report`, the passages every renderer looks up), tables, pages (header, welcome,
messages), exports (CSV and Markdown downloads), common (shared helpers, naming the documents), library (a
library's documents named briefly, its filters' choices), filters (the Ask tab's filter values and what they
mean to search). Plain text for the terminal: text. The app's CSS and its scripts: assets/."""
