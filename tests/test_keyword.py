"""BM25 keyword index: thread safety of the statistics read while a write rebuilds."""

import threading
from pathlib import Path

from rag.keyword import KeywordDoc, KeywordIndex


def _docs(n: int, words: int) -> list[KeywordDoc]:
    return [KeywordDoc(f"c{i}", " ".join(f"w{(i * 7 + j) % words}" for j in range(12)), f"a{i}", "", "")
            for i in range(n)]


def test_idf_never_pairs_one_generations_vocabulary_with_anothers_frequencies(tmp_path: Path) -> None:
    """Issue 14, defect 2: idf() runs without the lock while a write swaps the index."""
    index = KeywordIndex(tmp_path)
    small, large = _docs(3000, 50), _docs(3000, 4000)
    index.build(small, "writing-0")  # WRITING-: kept in memory only, no disk writes in the loop
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                index.idf("w3999")
                index.idf("w10")
            except Exception as err:  # noqa: BLE001 - any exception is the failure under test
                errors.append(err)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(30):
            index.build(large if n % 2 else small, f"writing-{n}")
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert index.idf("w10") > 0 and index.knows("w10")
