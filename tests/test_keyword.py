"""The tantivy keyword index: search, filters and statistics, updates in place, the sync state
committed with the passages, and several threads and processes sharing one folder."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

from rag.keyword import LEAD_CHARS, About, KeywordDoc, KeywordIndex, SyncState
from rag.types import Filters

DOCS = [
    KeywordDoc("1", "Putin visited Minsk", "a", "Daily", "2022-12-19"),
    KeywordDoc("2", "Minsk hosted talks on Minsk", "b", "Other", ""),
    KeywordDoc("3", "Putin and Lukashenko held talks", "c", "Other", "2023-02-01"),
]


def _ids(hits: list[tuple[str, float]]) -> list[str]:
    return [cid for cid, _ in hits]


def test_search_filters_and_statistics_survive_reopening(tmp_path: Path) -> None:
    KeywordIndex(tmp_path / "kw").apply(DOCS, [], SyncState("epoch-1", {"w": 3}))
    index = KeywordIndex(tmp_path / "kw")  # as a new process sees it
    assert len(index) == 3 and index.state == SyncState("epoch-1", {"w": 3})
    assert _ids(index.search("Minsk", 5)) == ["2", "1"]  # two mentions beat one
    assert _ids(index.search("minsk", 5, Filters(outlet="OTHER"))) == ["2"]
    assert _ids(index.search("Putin", 5, Filters(as_of=date(2022, 12, 31)))) == ["1"]
    assert _ids(index.search("talks", 5, Filters(as_of=date(2022, 12, 31)))) == ["2"]  # undated stays
    assert _ids(index.search("talks", 5, Filters(date_to=date(2024, 1, 1)))) == ["3"]  # a range needs a date
    assert _ids(index.search("talks", 5, Filters(article_ids=("b",)))) == ["2"]
    assert index.search("nothing matches", 5) == [] and index.search("???", 5) == []
    assert index.about(["1", "2", "gone"]) == {"1": About("a", "2022-12-19", lead=True), "2": About("b", "", lead=True)}
    assert index.ids_of(["a", "c"]) == {"1", "3"} and sorted(index.ids) == ["1", "2", "3"]
    assert index.undated() == 1
    assert index.knows("minsk") and not index.knows("unseen")
    assert index.idf("minsk") < index.idf("lukashenko") < index.idf("unseen")


def test_an_acronym_finds_the_passage_that_spells_it_out(tmp_path: Path) -> None:
    """"How long did the CIS summit run?": the passage says "Commonwealth of Independent States"."""
    index = KeywordIndex(tmp_path / "kw")
    index.apply([KeywordDoc("1", "Leaders of the Commonwealth of Independent States met in Moscow.", "a", "NYT", ""),
                 KeywordDoc("2", "Independent observers met the states' leaders.", "b", "AP", "")], [], SyncState("e"))
    assert index.knows("cis") and _ids(index.search("CIS summit", 5)) == ["1"]


def test_a_digests_passages_are_known_as_such(tmp_path: Path) -> None:
    """A digest's title ("5 things to know for June 17: ...") marks all its passages, for ranking."""
    index = KeywordIndex(tmp_path / "kw")
    index.apply([KeywordDoc("d1", "Putin visited Minsk.", "d", "CNN", "2022-06-17",
                            title="5 things to know for June 17: Minsk, Covid, Ukraine"),
                 KeywordDoc("s1", "Putin visited Minsk.", "s", "CNN", "2022-06-17", title="Putin visits Minsk")],
                [], SyncState("e", {}))
    assert index.about(["d1", "s1"]) == {"d1": About("d", "2022-06-17", True, True), "s1": About("s", "2022-06-17", lead=True)}


def test_the_passage_opening_its_article_is_known_as_its_lead(tmp_path: Path) -> None:
    """A story's gist comes first: the passage starting within LEAD_CHARS of its article's text."""
    index = KeywordIndex(tmp_path / "kw")
    index.apply([KeywordDoc("s1", "Putin visited Minsk.", "s", "CNN", "", start=0),
                 KeywordDoc("s2", "Earlier, he had been to Sochi.", "s", "CNN", "", start=LEAD_CHARS)],
                [], SyncState("e", {}))
    assert index.about(["s1", "s2"]) == {"s1": About("s", "", lead=True), "s2": About("s", "")}


def test_resembles_finds_a_typo_of_an_indexed_word_but_not_another_name(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.apply(DOCS + [KeywordDoc("4", "Lukashenko met Tsikhanouskaya", "d", "Other", "")], [], SyncState("e", {}))
    assert index.resembles("lukashneko") and index.resembles("tikhanovskaya") and index.resembles("mink")
    assert not index.resembles("jinp") and not index.resembles("xi")


def test_filter_scores_match_unfiltered_scores(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.apply(DOCS, [], SyncState())
    plain = dict(index.search("Putin talks", 5))
    filtered = dict(index.search("Putin talks", 5, Filters(outlet="Other")))
    assert filtered == {"2": plain["2"], "3": plain["3"]}  # a filter narrows, it adds nothing to a score


def test_apply_replaces_retires_and_moves_the_cursor_in_one_commit(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.apply(DOCS, [], SyncState("e", {"w": 1}))
    index.apply([KeywordDoc("1", "Putin flew to Sochi", "a", "Daily", "2022-12-19")], ["2"],
                index.state.advanced("w", 2).advanced("v", 1))
    again = KeywordIndex(tmp_path / "kw")
    assert sorted(again.ids) == ["1", "3"] and len(again) == 2
    assert _ids(again.search("Sochi", 5)) == ["1"] and again.search("Minsk", 5) == []
    assert again.state == SyncState("e", {"w": 2, "v": 1})
    again.replace_all(iter(DOCS[1:]), SyncState("e2"))
    assert sorted(again.ids) == ["2", "3"] and again.state == SyncState("e2")


SPREAD = [  # article "a" has both names, in different passages; "b" and "c" one each
    KeywordDoc("a1", "Putin arrived on Monday", "a", "Daily", "2022-12-19", title="Summit in Minsk"),
    KeywordDoc("a2", "Lukashenko greeted him", "a", "Daily", "2022-12-19", title="Summit in Minsk"),
    KeywordDoc("b1", "Putin spoke", "b", "Other", "2022-12-01"),
    KeywordDoc("c1", "Lukashenko spoke", "c", "Other", "2023-02-01"),
]


def test_article_search_ranks_whole_articles_and_follows_every_write(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.apply(SPREAD, [], SyncState("e"))
    assert {_ids(index.search("Putin Lukashenko", 5))[0]} <= {"b1", "c1"}  # no passage has both names
    assert _ids(index.search_articles("Putin Lukashenko", 5))[0] == "a"  # the article has both
    assert index.articles == 3 and len(index) == 4
    assert _ids(index.search_articles("Minsk summit", 5)) == ["a"]  # its title, once for all passages
    assert _ids(index.search_articles("Lukashenko", 5, Filters(as_of=date(2022, 12, 31)))) == ["a"]
    assert sorted(_ids(index.search_articles("spoke Putin", 5, Filters(outlet="other")))) == ["b", "c"]
    index.apply([], ["a2"], SyncState("e"))  # a passage retired: its article loses its words
    assert _ids(index.search_articles("Lukashenko", 5)) == ["c"]
    index.apply([KeywordDoc("a2", "Lukashenko waved", "a", "Daily", "2022-12-19", title="Summit in Minsk")], ["a1"],
                SyncState("e"))
    assert _ids(index.search_articles("Putin", 5)) == ["b"] and "a" in _ids(index.search_articles("waved", 5))
    index.apply([], ["a2"], SyncState("e"))  # its last passage gone: so is the article
    assert index.search_articles("Minsk", 5) == []
    index.replace_all(iter(SPREAD[2:]), SyncState("e2"))
    assert sorted(_ids(index.search_articles("spoke", 5))) == ["b", "c"]


def test_an_article_index_left_behind_by_a_killed_write_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    """A process killed between the passage commit and the article commit: the next process to
    open the folder (or the next write) finds the article index behind and rebuilds it."""
    index = KeywordIndex(tmp_path / "kw")
    index.apply(SPREAD[:2], [], SyncState("e"))
    monkeypatch.setattr(KeywordIndex, "_update_articles", lambda self, ids: None)  # "killed" before it
    index.apply(SPREAD[2:], ["a2"], SyncState("e"))
    assert _ids(index.search_articles("Lukashenko", 5)) == ["a"]  # stale in this process
    monkeypatch.undo()
    again = KeywordIndex(tmp_path / "kw")  # as the next process sees it
    assert _ids(again.search_articles("Lukashenko", 5)) == ["c"]
    assert sorted(_ids(again.search_articles("Putin", 5))) == ["a", "b"]


def test_an_index_in_the_old_bm25s_format_is_replaced_and_starts_blank(tmp_path: Path) -> None:
    old = tmp_path / "kw" / "generation-token"
    old.mkdir(parents=True)
    (old / "fields.json").write_text("{}")
    index = KeywordIndex(tmp_path / "kw")
    assert len(index) == 0 and index.state == SyncState()  # blank: the next sync fills it from the store
    assert not old.exists()


def test_reads_during_writes_always_see_one_whole_commit(tmp_path: Path) -> None:
    """Issue 14, defect 2 (statistics read while a write swaps the index): every read uses one
    searcher, one commit; a reader never errors or sees half of a write."""
    index = KeywordIndex(tmp_path / "kw")
    small = [KeywordDoc(f"s{i}", f"common w{i % 7}", f"a{i}", "", "") for i in range(200)]
    large = [KeywordDoc(f"l{i}", f"common w{i % 900}", f"a{i}", "", "") for i in range(200)]
    index.apply(small, [], SyncState())
    errors: list[BaseException] = []
    sizes: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                index.idf("w899")
                sizes.add(len({cid[0] for cid, _ in index.search("common", 400)}))
            except Exception as err:  # noqa: BLE001 - any exception is the failure under test
                errors.append(err)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(10):
            new, old = (large, small) if n % 2 == 0 else (small, large)
            index.apply(new, [d.id for d in old], SyncState())
    finally:
        stop.set()
        reader.join()
    assert errors == [] and sizes == {1}  # only small or only large, never a mix


WRITER = """
import sys
from pathlib import Path
from rag.keyword import KeywordDoc, KeywordIndex
index, name = KeywordIndex(Path(sys.argv[1])), sys.argv[2]
for seq in range(1, 16):
    docs = [KeywordDoc(f"{name}-{seq}-{i}", f"harbor {name} batch {seq}", name, "", "") for i in range(5)]
    with index.locked():
        index.apply(docs, [], index.state.advanced(name, seq))
print("ok")
"""


def test_two_processes_writing_one_folder_lose_nothing(tmp_path: Path) -> None:
    """Two processes on one machine sharing RAG_DATA_DIR: writes take turns (a file lock), each
    starts from the other's latest commit, and the cursors of both survive."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "kw"), name], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("p", "q")]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outputs]
    index = KeywordIndex(tmp_path / "kw")
    assert len(index) == 2 * 15 * 5 == len(set(index.ids))
    assert index.state.cursors == {"p": 15, "q": 15}
    assert json.dumps(sorted(index.ids_of(["p"])))  # both writers' passages are searchable by article
    assert len(index.search("harbor", 200)) == 150
    assert sorted(_ids(index.search_articles("harbor", 5))) == ["p", "q"]  # the article index followed both
