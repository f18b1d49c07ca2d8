"""The apt kinds and the machinery they share: check a repository the way `apt-get update` does.

- repo.py (kind apt_repo) and host.py (kind apt_sources): the two kinds; settings.py their shared checks.
- engine.py: one repository (InRelease, signature, Suite/Codename, key change, expiry, rollback);
  indexes.py: its Packages indexes (by name and by hash); repository.py: what a check is given and gives.
- release.py (Release fields, pure), index.py (streaming hash), openpgp.py (gpgv), keyrings.py (keyrings
  for gpgv, checked to hold a key), sources_list.py (apt's files).
"""
