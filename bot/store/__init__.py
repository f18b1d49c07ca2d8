"""The SQLite history: every SQL statement, the migrations, retention, the lock and backups.
Imports core/ and judge/'s value types; never poll/, deliver/, read/ or cli/.
"""
