"""The case-suite TOML format and `evals suite check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.evals.suites import check_suite, load_suite, suite_hash

GOOD = '''schema = "scopecard.suite/1"
name = "support-faq"
version = "2026-11"

[[cases]]
id = "refund-001"
difficulty = "easy"
capability = "refunds"
tags = ["billing"]
desensitized = true
prompt = "Can I get a refund after 30 days?"
expected = "No; refunds within 30 days only."

[[cases]]
id = "tone-001"
difficulty = "medium"
capability = "tone"
desensitized = true
input = "You people are useless."
assertion = "llm-rubric: stays polite"

[[cases]]
id = "refund-tone-001"
difficulty = "hard"
kind = "composite"
combines = ["refunds", "tone"]
desensitized = true
prompt = "Angry customer wants a refund after 40 days."
expected = "Polite refusal citing the 30-day policy."
'''


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "suite.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_suite_has_no_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert check_suite(path) == []
    suite, _ = load_suite(path)
    assert (suite.name, suite.version, len(suite.cases)) == ("support-faq", "2026-11", 3)
    comp = suite.by_id()["refund-tone-001"]
    assert (comp.kind, comp.combines) == ("composite", ("refunds", "tone"))
    assert suite.by_id()["tone-001"].prompt == "You people are useless."
    assert suite.hash == suite_hash([("refund-001", "easy", "single"), ("tone-001", "medium", "single"),
                                     ("refund-tone-001", "hard", "composite")])


def test_warnings(tmp_path: Path) -> None:
    text = GOOD.replace('combines = ["refunds", "tone"]', 'combines = ["refunds", "empathy"]')
    text = text.replace('id = "tone-001"\ndifficulty = "medium"\ncapability = "tone"\ndesensitized = true',
                        'id = "refund-001"\ndifficulty = "medium"\ncapability = "tone"\ndesensitized = false')
    text += '\n[[cases]]\nid = "x"\nkind = "single"\ncombines = ["a"]\ncolour = "red"\n'
    warnings = "\n".join(check_suite(write(tmp_path, text)))
    assert "duplicate case id 'refund-001'" in warnings
    assert "2 case(s) not marked desensitized: refund-001, x" in warnings
    assert "combines unknown single(s): empathy" in warnings
    assert "only composites combine" in warnings
    assert "unknown key 'colour'" in warnings
    assert "no difficulty" in warnings and "no prompt/input" in warnings


@pytest.mark.parametrize("text,match,where", [
    ('schema = "scopecard.spec/1"\nname = "x"\n', "schema is", "schema"),
    ('schema = "scopecard.suite/1"\n', "needs a name", "name"),
    ('schema = "scopecard.suite/1"\nname = "x"\n', "at least one", "cases"),
    ('schema = "scopecard.suite/1"\nname = "x"\n[[cases]]\ndifficulty = "easy"\n',
     "string id", "cases[0].id"),
    ('schema = "scopecard.suite/1"\nname = "x"\n[[cases]]\nid = "a"\ndifficulty = "trivial"\n',
     "difficulty 'trivial'", "cases[0] (a).difficulty"),
    ('schema = "scopecard.suite/1"\nname = "x"\n[[cases]]\nid = "a"\nkind = "combo"\n',
     "kind 'combo'", "cases[0] (a).kind"),
    ('schema = "scopecard.suite/1"\nname = "x"\n[[cases]]\nid = "a"\ndesensitized = "yes"\n',
     "true or false", "cases[0] (a).desensitized"),
    ('schema = "scopecard.suite/1"\nname = "x"\n[[cases]]\nid = "a"\ntags = "t"\n',
     "list of strings", "cases[0] (a).tags"),
])
def test_structural_errors(tmp_path: Path, text: str, match: str, where: str) -> None:
    with pytest.raises(InputError, match=match) as e:
        check_suite(write(tmp_path, text))
    assert e.value.where == where and e.value.file.endswith("suite.toml")


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="TOML syntax error") as e:
        check_suite(write(tmp_path, "schema = \n"))
    assert e.value.where.startswith("line 1, column")
