"""One cycle over the due sources: fetch, schedule, the daemon loop and progress. Imports core/, config/,
sources/ (through the registry), judge/, store/ and deliver/.
"""
