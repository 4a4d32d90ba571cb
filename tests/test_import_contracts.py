"""The services <-> tasks contract type tells an import inside a function from one at module level."""

from tests.import_contracts import function_scoped_lines


def test_function_scoped_lines_are_the_imports_inside_functions_only():
    source = """from .tasks import send
import os


def task(pk):
    from .services import do_it

    def inner():
        import json
    return do_it(pk)


class Holder:
    def method(self):
        from . import services
"""
    assert function_scoped_lines(source) == {6, 9, 15}
