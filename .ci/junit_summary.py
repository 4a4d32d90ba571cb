"""Add up the JUnit XML reports of every CI test step into one closing line: ``N passed, M failed``.

    python3 .ci/junit_summary.py DIR

Every ``*.xml`` under DIR is read (pytest's ``--junitxml``, schemathesis's ``--report junit``, and the one-case
reports ``.ci/run`` writes for its check steps). A test case counts as failed when it holds a ``<failure>`` or an
``<error>``, as skipped when it holds a ``<skipped>``, else as passed. A report that cannot be parsed counts as one
failure, so a step that died half-way can never make the total look better than it was. The per-file counts go
first, the total is the very last line, in exactly the form CI records read.
"""

import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own CI's reports, not untrusted input
from pathlib import Path


def count(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) test cases in one JUnit XML file; an unreadable file is (0, 1, 0)."""
    try:
        root = ET.parse(path).getroot()  # noqa: S314
    except (ET.ParseError, OSError):
        return 0, 1, 0
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(directory: str) -> None:
    total_passed = total_failed = total_skipped = 0
    for path in sorted(Path(directory).rglob("*.xml")):
        passed, failed, skipped = count(path)
        print(f"  {path.relative_to(directory)}: {passed} passed, {failed} failed, {skipped} skipped")
        total_passed, total_failed, total_skipped = (
            total_passed + passed,
            total_failed + failed,
            total_skipped + skipped,
        )
    print(f"skipped: {total_skipped} (each with its reason in its step's output)")
    print(f"{total_passed} passed, {total_failed} failed")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".ci/artifacts/junit")
