"""The pull parses Label Studio's export while it arrives (`iter_json_array`): every split of the
body into chunks gives the same tasks, and a broken body is a clear error, not a silent short list."""
from __future__ import annotations

import json

import pytest

from warvoices.annotation.ls_client import LSError, iter_json_array

TASKS = [{"id": 1, "data": {"text": "Brackets ] and [ and \"quotes\", commas, in text."}, "annotations": []},
         {"id": 2, "data": {"text": "Ünïcode — dashes"}, "annotations": [{"id": 7, "result": [], "lead_time": 1.5}]},
         12345, "a string", None, [1, [2, 3]]]


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_any_chunking_gives_the_same_items(size):
    body = json.dumps(TASKS, indent=1)
    assert list(iter_json_array(_chunks(body, size), "export of project 3")) == TASKS


def test_empty_list_and_whitespace():
    assert list(iter_json_array(["  [", " ]\n"], "x")) == []


@pytest.mark.parametrize("body,message", [
    ('{"detail": "nope"}', "is not a list of tasks"),
    ('[{"id": 1}, {"id": 2', "ended before its list of tasks did"),
    ('[{"id": 1}, {"id": 2,,}]', "is not valid JSON"),
    ('[1, 2] [3]', "unexpected text after the list"),
])
def test_broken_bodies_are_errors(body, message):
    with pytest.raises(LSError, match=message):
        list(iter_json_array(_chunks(body, 4), "export of project 3"))
