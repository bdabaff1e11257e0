"""Report layer: Markdown, CSV, HTML, plots and terminal text, formatted from derived values."""
