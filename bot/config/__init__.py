"""sources.yaml read and checked before any network call: the loader, the usable-config check, package
inventories and the digest's schedule. Imports core/, the kind registry and judge's watch-word and
module tables.
"""
