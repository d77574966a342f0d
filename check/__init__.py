"""Quote and claim checking: `align` (word alignment and figures in text; a leaf module that search's
answer types also read numbers with) and `checker` (the verdicts)."""
