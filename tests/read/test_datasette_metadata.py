"""db/metadata.yml names real tables and its canned queries run on a real history."""

from pathlib import Path

import yaml

from bot.store.history import Store
from tests.read.conftest import NOW  # the history fixture (conftest) is dated from it

METADATA = Path(__file__).resolve().parents[2] / "db" / "metadata.yml"


def test_tables_exist_and_canned_queries_answer(history):
    _, db = history
    meta = yaml.safe_load(METADATA.read_text())["databases"]["trackbot"]
    store = Store.open(db)
    tables = set(store.db.table_names())
    assert set(meta["tables"]) <= tables
    shadow = {t for t in tables if t.startswith("records_fts_")}  # FTS5's own tables: Datasette hides them
    assert tables - shadow <= set(meta["tables"]), "every table a Datasette user sees is described"
    # the canned queries read SQLite's 'now'; here it is the history's own fixed date
    at_now = {name: query["sql"].replace("'now'", f"'{NOW.isoformat()}'") for name, query in meta["queries"].items()}
    answers = {name: store.db.execute(sql).fetchall() for name, sql in at_now.items()}
    assert [row[0] for row in answers["open_incidents"]] == ["apt_index_missing"]
    assert answers["pins_behind"][0][:2] == ("docker", "1.10.0")
    assert [row[1] for row in answers["critical_last_week"]] == ["branch_eol"]
