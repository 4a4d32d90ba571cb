"""The CI closing line adds up every step's JUnit report, and never reads better than the steps did."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "junit_summary.py"


def _summary(directory: Path) -> list[str]:
    result = subprocess.run([sys.executable, str(SCRIPT), str(directory)], capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def test_counts_every_report_and_ends_with_the_plain_line(tmp_path):
    (tmp_path / "sqlite.xml").write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase name="a"/><testcase name="b"><failure message="x"/></testcase>'
        '<testcase name="c"><skipped/></testcase><testcase name="d"><error message="y"/></testcase>'
        "</testsuite></testsuites>"
    )
    (tmp_path / "schemathesis").mkdir()
    (tmp_path / "schemathesis" / "staff.xml").write_text(
        '<testsuite><testcase name="GET /x"/><testcase name="GET /y"/></testsuite>'
    )
    lines = _summary(tmp_path)
    assert lines[-1] == "3 passed, 2 failed"
    assert "skipped: 1" in lines[-2]


def test_an_unreadable_report_counts_as_a_failure(tmp_path):
    (tmp_path / "broken.xml").write_text("<testsuite><testcase name=")
    assert _summary(tmp_path)[-1] == "0 passed, 1 failed"
