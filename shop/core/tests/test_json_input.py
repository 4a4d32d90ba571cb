"""``shop.core.json_input``: the depth of a JSON document, found without decoding it."""

import json

import pytest

from shop.core.json_input import JSON_MAX_DEPTH, JSONTooDeep, json_depth, json_depth_check, json_loads


@pytest.mark.parametrize(("document", "depth"), [
    ("1", 0), ('"[[["', 0), ("[]", 1), ("[[], {}]", 2), ('{"a": [{"b": [1]}]}', 4),
    ('["[[[", {"a": "]]]"}]', 2),  # brackets inside strings are text
    ('["\\"[[", [[]]]', 3),  # an escaped quote does not end the string
    ('["\\\\", [[]]]', 3),  # an escaped backslash before the closing quote does
    ('["ü{é[", [["中"]]]', 3),  # characters of several bytes
    (b'{"a": [[]]}', 3), ('{"a": [[]]}'.encode("utf-16"), 3),  # bytes, in any encoding json.loads reads
])
def test_the_depth_of_a_document(document, depth):
    assert json_depth(document) == depth


def test_a_document_as_deep_as_allowed_decodes_and_one_level_more_is_refused():
    at_limit = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    over = "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)

    assert json_loads(at_limit) == json.loads(at_limit)
    with pytest.raises(JSONTooDeep) as refused:
        json_loads(over)
    assert isinstance(refused.value, ValueError)  # what every "not JSON" handler already catches
    assert str(refused.value) == f"arrays and objects are nested more than {JSON_MAX_DEPTH} levels deep"


@pytest.mark.parametrize("document", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
                                      "[" * 100_000])  # malformed too: refused for its depth, never a RecursionError
def test_far_deeper_documents_are_refused_before_decoding(document):
    with pytest.raises(JSONTooDeep):
        json_depth_check(document)


def test_many_brackets_side_by_side_are_not_depth():
    json_depth_check("[" + ",".join(["[]"] * 10_000) + "]")
