"""The `trackbot` command: click groups over the library. Names no kind; may import late for start-up.
"""
