"""The outbox loop and its sinks: console, Slack, `notify:` destinations; delivery health. Imports
core/, judge/ (alert values) and store/.
"""
