"""What the read commands answer: why, changes, search, incidents, views and the digest. Imports core/,
judge/ and store/; never poll/.
"""
