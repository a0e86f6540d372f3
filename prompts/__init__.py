"""Prompt templates, one plain-text file each, read by name: `text("answer_user")`.

Templates use `{name}` placeholders (str.format). Editing a file changes the prompt;
no prompt text lives in Python code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent


@cache
def text(name: str) -> str:
    """The raw text of prompts/NAME.txt, without its trailing newline."""
    path = FOLDER / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"No prompt template named {name!r} in {FOLDER}")
    return path.read_text(encoding="utf-8").rstrip("\n")

