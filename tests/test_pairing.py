"""`sync-notebooks` keeps the cell ids of unchanged cells, so regenerated notebooks give small diffs."""
import nbformat

from daenr_lite.pairing import _keep_cell_ids


def _notebook(sources, ids=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for cell, cell_id in zip(nb.cells, ids or []):
        cell["id"] = cell_id
    return nb


def test_unchanged_cells_keep_their_ids_and_changed_cells_get_new_ones():
    old = _notebook(["a = 1", "b = 2", "print(a)"], ids=["id-a", "id-b", "id-p"])
    new = _notebook(["a = 1", "b = 3", "print(a)"])
    fresh_id = new.cells[1]["id"]
    _keep_cell_ids(new, old)
    assert [c["id"] for c in new.cells] == ["id-a", fresh_id, "id-p"]


def test_identical_sources_never_share_an_id():
    old = _notebook(["x", "x"], ids=["first", "second"])
    new = _notebook(["x", "x", "x"])
    third = new.cells[2]["id"]
    _keep_cell_ids(new, old)
    assert [c["id"] for c in new.cells] == ["first", "second", third]
    nbformat.validate(new)
