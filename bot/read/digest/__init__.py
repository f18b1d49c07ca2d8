"""The weekly digest as data (build.py) and its renderings: Markdown, HTML, Slack blocks, chart."""
