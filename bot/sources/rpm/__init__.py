"""The rpm kind and its machinery: check a yum/dnf repository the way `dnf makecache` does.

- repo.py (kind rpm_repo): a `url` (dnf's baseurl) or a `.repo` file (dotrepo.py reads dnf's files).
- engine.py: one repository: repomd.xml and its detached signature (the apt kinds' gpgv path,
  bot/sources/apt/openpgp.py), key change, revision rollback, staleness, every `data` entry.
- repomd.py (repomd.xml, pure), metadata.py (a data file streamed: checksum, size, and the
  package versions of primary.xml.gz and the errata of updateinfo.xml.gz, in bounded memory),
  verdicts.py (what dnf does on each fault, as measured, and so the severity of each finding).
"""
