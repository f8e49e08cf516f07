"""Reports: publication tables, figures and the HTML/Markdown report (no estimation here)."""
