"""Loading forewarn.yaml: YAML errors, interpolation, and every problem as FILE:LINE:COL."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, Problem, load_config
from config.load import format_loc
from tests.config.conftest import Load, Problems, Write

EMPTY = "forewarn.yaml:1:1: the file is empty (it needs at least version: 1)"
HEADER = """\
version: 1
trackers:
  gh: {kind: github, token: t}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\ntrackers:\n  gh: {kind: github\nprojects: []\n",
            ["forewarn.yaml:4:9: expected ',' or '}', but got ':' "
             "(while parsing a flow mapping at line 3, column 7)"],
        ),
        (
            "version: 1\ntrackers:\n  gh:\n    kind: github\n   token: x\n",
            ["forewarn.yaml:5:4: expected <block end>, but found '<block mapping start>' "
             "(while parsing a block mapping at line 3, column 3)"],
        ),
        (
            "version: 1\n\tstate: x\n",
            ["forewarn.yaml:2:1: found character '\\t' that cannot start any token"],
        ),
        (
            "version: 1\nstate: [a, b\n",
            ["forewarn.yaml:3:1: expected ',' or ']', but got '<stream end>' "
             "(while parsing a flow sequence at line 2, column 8)"],
        ),
        (
            "version: 1\n---\nversion: 1\n",
            ["forewarn.yaml:2:1: expected a single document in the stream, "
             "but found another document"],
        ),
        ("", [EMPTY]),
        ("# only a comment\n", [EMPTY]),
        ("- version: 1\n", ["forewarn.yaml:1:1: expected a mapping (key: value) at the top level"]),
        ("just text\n", ["forewarn.yaml:1:1: expected a mapping (key: value) at the top level"]),
    ],
)
def test_malformed_yaml_is_one_problem_at_the_parser_mark(
    problems: Problems, text: str, expected: list[str]
) -> None:
    assert problems(text) == expected


def test_duplicate_keys_are_problems_not_crashes(problems: Problems) -> None:
    text = """\
    version: 1
    state: sqlite:///a.db
    state: sqlite:///b.db
    trackers:
      gh: {kind: github, token: t, token: u}
    """
    assert problems(text) == [
        'forewarn.yaml:3:1: duplicate key "state" (first at line 2)',
        'forewarn.yaml:5:32: duplicate key "token" (first at line 5)',
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nproject: []\n",
            'forewarn.yaml:2:1: unknown key "project" (did you mean "projects"?)',
        ),
        (
            HEADER + "projects:\n  - name: portal\n    trackr: gh\n    repo: acme/portal\n",
            'forewarn.yaml:6:5: projects[0]: unknown key "trackr" (did you mean "tracker"?)',
        ),
        (
            "version: 1\ntrackers:\n  gh: {kind: github, tokn: x}\n",
            'forewarn.yaml:3:22: trackers.gh: unknown key "tokn" (did you mean "token"?)',
        ),
        (
            "version: 1\ntrackers:\n  j: {kind: jira, url: 'https://j.example', urll: x}\n",
            'forewarn.yaml:3:45: trackers.j: unknown key "urll" (did you mean "url"?)',
        ),
        (
            "version: 1\ncalendars:\n  c: {timezone: UTC, holiday: CN}\n",
            'forewarn.yaml:3:22: calendars.c: unknown key "holiday" (did you mean "holidays"?)',
        ),
        (
            "version: 1\nsummary:\n  evry: daily 09:00\n",
            'forewarn.yaml:3:3: summary: unknown key "evry" (did you mean "every"?)',
        ),
        (
            "version: 1\nrules:\n  - {id: s, kind: scope_creep, treshold: 5%}\n",
            'forewarn.yaml:3:32: rules[0]: unknown key "treshold" (did you mean "threshold"?)',
        ),
        (
            "version: 1\nstate: x\nfoo: 1\n",
            'forewarn.yaml:3:1: unknown key "foo"',
        ),
    ],
)
def test_unknown_keys_with_did_you_mean(problems: Problems, text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_unknown_rule_kind(problems: Problems) -> None:
    text = """\
    version: 1
    rules:
      - id: scope
        kind: scope_crep
      - {id: slip, kind: schedule_slip}
      - {id: x}
    """
    assert problems(text) == [
        'forewarn.yaml:4:11: rules[0].kind: no such rule kind: "scope_crep" '
        '(did you mean "scope_creep"?)',
        'forewarn.yaml:6:5: rules[2]: missing key "kind"',
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 2\n", "forewarn.yaml:1:10: version: unsupported config version 2 "
                         "(this forewarn reads version: 1)"),
        ("state: x\n", 'forewarn.yaml:1:1: missing key "version"'),
        ("version: 1\ntrackers: [gh]\n", "forewarn.yaml:2:11: trackers: expected a mapping "
                                         "(key: value), got a list"),
        ("version: 1\nprojects: {name: x}\n", "forewarn.yaml:2:11: projects: expected a list, "
                                              "got a mapping"),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, every: 15 minutes}\n",
            "forewarn.yaml:5:51: projects[0].every: not a duration: '15 minutes' "
            "(use a number and a unit: 30m, 16h, 3d, 1w)",
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, write_budget: many}\n",
            'forewarn.yaml:5:58: projects[0].write_budget: expected a whole number, got "many"',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, language: fr}\n",
            'forewarn.yaml:5:54: projects[0].language: "fr" is not one of: en, zh-CN',
        ),
        (
            HEADER + "projects:\n  - {name: Portal, tracker: gh, repo: a/b}\n",
            'forewarn.yaml:5:12: projects[0].name: not a valid name: "Portal" '
            "(use lowercase letters, digits, - and _)",
        ),
        (
            HEADER + "projects:\n  - {tracker: gh, repo: a/b}\n",
            'forewarn.yaml:5:5: projects[0]: missing key "name"',
        ),
        (
            HEADER
            + "projects:\n  - {name: p, tracker: gh, repo: a/b, include_pull_requests: maybe}\n",
            "forewarn.yaml:5:62: projects[0].include_pull_requests: expected true or false, "
            'got "maybe"',
        ),
        (
            "version: 1\ntrackers:\n  gl: {kind: gitlab}\n",
            'forewarn.yaml:3:14: trackers.gl.kind: unknown tracker kind "gitlab" '
            '(did you mean "github"?)',
        ),
        (
            "version: 1\ntrackers:\n  x: {kind: svn}\n",
            'forewarn.yaml:3:13: trackers.x.kind: unknown tracker kind "svn" '
            "(one of: github, jira, local)",
        ),
        (
            "version: 1\ntrackers:\n  x: {token: t}\n",
            'forewarn.yaml:3:6: trackers.x: missing key "kind"',
        ),
        (
            "version: 1\ntrackers:\n  x: {kind: github, token: [1, 2]}\n",
            "forewarn.yaml:3:28: trackers.x.token: expected a string",
        ),
        (
            "version: 1\nrules:\n  - {id: s, kind: scope_creep, threshold: ten}\n",
            "forewarn.yaml:3:43: rules[0].threshold: not a percentage: 'ten' (write 10% or 0.1)",
        ),
        (
            "version: 1\nrules:\n  - {id: Scope, kind: scope_creep}\n",
            'forewarn.yaml:3:10: rules[0].id: "Scope" does not match ^[a-z0-9][a-z0-9_-]{0,62}$',
        ),
        (
            "version: 1\nrules:\n  - scope_creep\n",
            "forewarn.yaml:3:5: rules[0]: expected a mapping (id: ..., kind: ...), "
            'got "scope_creep"',
        ),
    ],
)
def test_wrong_values(problems: Problems, text: str, expected: str) -> None:
    assert problems(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh2, repo: acme/portal}\n",
            'forewarn.yaml:5:29: project "portal": no tracker named "gh2" (did you mean "gh"?)',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: svn, repo: acme/portal}\n",
            'forewarn.yaml:5:29: project "portal": no tracker named "svn" (defined: gh)',
        ),
        (
            "version: 1\nprojects:\n  - {name: portal, tracker: gh}\n",
            'forewarn.yaml:3:29: project "portal": no tracker named "gh" (no trackers are defined)',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, calendar: shangai}\n",
            'forewarn.yaml:5:54: project "portal": no calendar named "shangai" (defined: default)',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh}\n",
            'forewarn.yaml:5:5: project "portal": a GitHub project needs repo (owner/name), '
            "repos or github_project",
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, milestones: sprint}\n",
            'forewarn.yaml:5:56: project "portal": GitHub has milestones only',
        ),
        (
            HEADER
            + "projects:\n  - {name: portal, tracker: gh, repo: a/b, status_issue: BILL-1}\n",
            'forewarn.yaml:5:58: project "portal": status_issue is an issue number on GitHub',
        ),
        (
            "version: 1\ntrackers: {j: {kind: jira, url: 'https://j.example'}}\n"
            "projects:\n  - {name: billing, tracker: j}\n",
            'forewarn.yaml:4:5: project "billing": a Jira project needs jira_project '
            "(a key like BILL)",
        ),
        (
            "version: 1\ntrackers: {j: {kind: jira, url: 'https://j.example'}}\n"
            "projects:\n"
            "  - {name: billing, tracker: j, jira_project: BILL, milestones: milestone}\n",
            'forewarn.yaml:4:65: project "billing": Jira tracks milestones as sprint, version '
            "or epic",
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, rules: [scop]}\n"
            "rules:\n  - {id: scope, kind: scope_creep}\n",
            'forewarn.yaml:5:52: project "portal": no rule with id "scop" (did you mean "scope"?)',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b, rules: [scope]}\n"
            "  - {name: billing, tracker: gh, repo: a/c, status_issue: 1}\n"
            "rules:\n  - {id: scope, kind: scope_creep, projects: [billing]}\n",
            'forewarn.yaml:5:52: project "portal": rule "scope" is limited to projects: billing',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b}\n"
            "rules:\n  - {id: scope, kind: scope_creep, projects: [portl]}\n",
            'forewarn.yaml:7:47: rule "scope": no project named "portl" (did you mean "portal"?)',
        ),
        (
            "version: 1\nrules:\n  - {id: scope, kind: scope_creep}\n"
            "  - {id: scope, kind: schedule_slip}\n",
            'forewarn.yaml:4:10: duplicate rule id "scope" (also rules[0])',
        ),
        (
            HEADER + "projects:\n  - {name: portal, tracker: gh, repo: a/b}\n"
            "  - {name: portal, tracker: gh, repo: a/c}\n",
            'forewarn.yaml:6:12: duplicate project name "portal" (also projects[0])',
        ),
    ],
)
def test_cross_references(problems: Problems, text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_every_problem_at_once_in_file_order(problems: Problems) -> None:
    text = """\
    version: 1
    trackers:
      gh: {kind: github, token: t}
    projects:
      - name: portal
        tracker: gh2
        repo: acme/portal
        every: 15 minutes
    rules:
      - {id: scope, kind: scope_crep}
    summary: {every: mondays 9am}
    """
    assert problems(text) == [
        'forewarn.yaml:6:14: project "portal": no tracker named "gh2" (did you mean "gh"?)',
        "forewarn.yaml:8:12: projects[0].every: not a duration: '15 minutes' "
        "(use a number and a unit: 30m, 16h, 3d, 1w)",
        'forewarn.yaml:10:23: rules[0].kind: no such rule kind: "scope_crep" '
        '(did you mean "scope_creep"?)',
        'forewarn.yaml:11:18: summary.every: not a schedule: "mondays 9am" '
        "(a weekday or daily, then HH:MM: monday 09:00)",
    ]


# ---------------------------------------------------------------------------- interpolation


@pytest.mark.parametrize(
    ("value", "environ", "secret_files", "expected"),
    [
        ("${GITHUB_TOKEN}", {"GITHUB_TOKEN": "from-env"}, {}, "from-env"),
        ("${GITHUB_TOKEN}", {}, {"github_token": "from-file\n"}, "from-file"),
        ("${GITHUB_TOKEN}", {"GITHUB_TOKEN": "from-k8s-env\n"}, {}, "from-k8s-env"),
        ("${GITHUB_TOKEN}", {"GITHUB_TOKEN": "crlf\r\n"}, {}, "crlf"),
        ("${GITHUB_TOKEN}", {}, {"GITHUB_TOKEN": "exact-case"}, "exact-case"),
        ("${GITHUB_TOKEN}", {"GITHUB_TOKEN": "env-wins"}, {"github_token": "file"}, "env-wins"),
        ("${GITHUB_TOKEN:-fallback}", {}, {}, "fallback"),
        ("${GITHUB_TOKEN:-fallback}", {"GITHUB_TOKEN": ""}, {}, "fallback"),
        ("${GITHUB_TOKEN:-fallback}", {"GITHUB_TOKEN": "set"}, {}, "set"),
        ("${GITHUB_TOKEN}", {"GITHUB_TOKEN": ""}, {}, ""),
        ("pre-${A}-${B}-post", {"A": "1", "B": "2"}, {}, "pre-1-2-post"),
        ("$${GITHUB_TOKEN}", {"GITHUB_TOKEN": "never"}, {}, "${GITHUB_TOKEN}"),
        ("cost: $5", {}, {}, "cost: $5"),
    ],
)
def test_interpolation(
    load: Load,
    secrets_dir: Path,
    value: str,
    environ: dict[str, str],
    secret_files: dict[str, str],
    expected: str,
) -> None:
    for name, content in secret_files.items():
        (secrets_dir / name).write_text(content, encoding="utf-8")
    config = load(f'version: 1\nstate: "{value}"\n', environ)
    assert config.state == expected


def test_interpolation_in_a_flow_mapping_keeps_columns(problems: Problems) -> None:
    # ${...} is not valid YAML inside {...}; it still parses and later columns stay true.
    text = "version: 1\ntrackers:\n  gh: {kind: github, token: ${TOKEN}, oops: 1}\n"
    assert problems(text, {"TOKEN": "abc"}) == [
        'forewarn.yaml:3:39: trackers.gh: unknown key "oops"',
    ]


def test_secrets_dir_from_the_environment(write: Write, tmp_path: Path) -> None:
    secrets = tmp_path / "elsewhere"
    secrets.mkdir()
    (secrets / "db_url").write_text("sqlite:///from-secret.db", encoding="utf-8")
    path = write("version: 1\nstate: ${DB_URL}\n")
    config = load_config(path, environ={"FOREWARN_SECRETS_DIR": str(secrets)})
    assert config.state == "sqlite:///from-secret.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\ntrackers:\n  gh: {kind: github, token: ${GITHUB_TOKEN}}\n",
            "forewarn.yaml:3:29: trackers.gh.token: environment variable GITHUB_TOKEN is not set",
        ),
        (
            "version: 1\ntrackers:\n  j: {kind: jira, url: '${JIRA_URL}', token: t}\n",
            "forewarn.yaml:3:24: trackers.j.url: environment variable JIRA_URL is not set",
        ),
        (
            "version: 1\nstate: ${1DB}\n",
            'forewarn.yaml:2:8: state: bad variable reference "${1DB}" '
            "(write ${NAME} or ${NAME:-default})",
        ),
        (
            "version: 1\nstate: ${DB\n",
            "forewarn.yaml:2:8: state: a ${ is not closed (write ${NAME})",
        ),
    ],
)
def test_interpolation_problems(problems: Problems, text: str, expected: str) -> None:
    # An undefined value is reported once: not again as a bad URL or a missing key.
    assert problems(text) == [expected]


def test_interpolated_values_never_appear_in_messages(problems: Problems) -> None:
    environ = {
        "EVERY": "fifteen-minutes-please",
        "GITHUB_TOKEN": "ghp_supersecretvalue",
        "LANG_CODE": "tlh",
    }
    text = """\
    version: 1
    trackers:
      gh: {kind: github, token: "${GITHUB_TOKEN}", app_id: 3}
    projects:
      - {name: p, tracker: gh, repo: a/b, every: "${EVERY}", language: "${LANG_CODE}"}
    state: "${GITHUB_TOKEN}"
    """
    found = problems(text, environ)
    assert found == [
        "forewarn.yaml:3:7: trackers.gh: use either token or a GitHub App (app_id, private_key), "
        "not both",
        "forewarn.yaml:5:46: projects[0].every: not a duration: '${EVERY}' "
        "(use a number and a unit: 30m, 16h, 3d, 1w)",
        'forewarn.yaml:5:68: projects[0].language: "${LANG_CODE}" is not one of: en, zh-CN',
    ]
    for value in environ.values():
        assert value not in "\n".join(found)


def test_a_token_never_appears_in_errors_or_reprs(write: Write, secrets_dir: Path) -> None:
    token = "ghp_0123456789abcdefTOKEN"
    (secrets_dir / "jira_api_token").write_text("jira-secret-token-xyz", encoding="utf-8")
    text = f"""\
    version: 1
    state: postgresql+psycopg://forewarn:db-password-1@db/forewarn
    trackers:
      gh: {{kind: github, token: {token}}}
      j: {{kind: jira, url: https://acme.atlassian.net, email: a@b.c, token: "${{JIRA_API_TOKEN}}"}}
    projects:
      - name: p
        tracker: gh
        repo: a/b
    """
    config = load_config(write(text), environ={}, secrets_dir=secrets_dir)
    for shown in (repr(config), str(config), repr(config.trackers), repr(config.trackers["gh"])):
        assert token not in shown
        assert "jira-secret-token-xyz" not in shown
        assert "db-password-1" not in shown
    assert "postgresql+psycopg://forewarn:***@db/forewarn" in repr(config)

    bogus = write(text.replace("repo: a/b\n", "repo: a/b\n        bogus: 1\n"))
    with pytest.raises(ConfigError) as caught:
        load_config(bogus, environ={}, secrets_dir=secrets_dir)
    message = str(caught.value)
    assert message == 'forewarn.yaml:10:5: projects[0]: unknown key "bogus" (did you mean "bots"?)'
    assert token not in message


# ---------------------------------------------------------------------------- files


def test_a_missing_file_is_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("missing.yaml"), environ={})
    assert str(caught.value) == (
        "missing.yaml: cannot read the config file: No such file or directory"
    )


def test_a_directory_is_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("conf.d").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config(Path("conf.d"), environ={})
    assert str(caught.value) == "conf.d: cannot read the config file: Is a directory"


def test_not_utf8_is_one_problem(write: Write) -> None:
    path = write("")
    path.write_bytes(b"version: 1\nstate: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == "forewarn.yaml:2:11: not UTF-8 text"


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("f.yaml", 3, 5, "bad"), "f.yaml:3:5: bad"),
        (Problem("f.yaml", None, None, "unreadable"), "f.yaml: unreadable"),
    ],
)
def test_problem_format(problem: Problem, text: str) -> None:
    assert str(problem) == text


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("projects", 0, "every"), "projects[0].every"),
        (("trackers", "gh", "token"), "trackers.gh.token"),
        (("calendars", "my cal"), 'calendars["my cal"]'),
        ((), ""),
    ],
)
def test_format_loc(loc: tuple[str | int, ...], text: str) -> None:
    assert format_loc(loc) == text


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    (folder / "templates").mkdir(parents=True)
    (folder / "app.pem").write_text("-----BEGIN KEY-----", encoding="utf-8")
    path = folder / "forewarn.yaml"
    path.write_text(
        "version: 1\n"
        "trackers:\n"
        "  demo: {kind: local, path: demo.json}\n"
        "  app: {kind: github, app_id: 12, private_key_path: app.pem}\n"
        "summary: {templates: templates}\n",
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    assert config.trackers["demo"].path == folder / "demo.json"  # type: ignore[union-attr]
    assert config.trackers["app"].private_key_path == folder / "app.pem"  # type: ignore[union-attr]
    assert config.summary.templates == folder / "templates"


def test_missing_key_file_and_templates_are_problems(problems: Problems) -> None:
    text = """\
    version: 1
    trackers:
      app: {kind: github, app_id: 12, private_key_path: app.pem}
    summary: {templates: mine}
    """
    assert problems(text) == [
        "forewarn.yaml:3:53: trackers.app.private_key_path: no such file: app.pem",
        "forewarn.yaml:4:22: summary.templates: no such directory: mine",
    ]


def test_rules_are_validated_by_their_own_options(
    problems: Problems, fake_rules: dict[str, object]
) -> None:
    text = """\
    version: 1
    rules:
      - {id: a, kind: fake_rule, limit: 5, wait: 2h}
      - {id: b, kind: other_rule, limt: 5}
      - {id: c, kind: fake_rul}
      - {id: d, kind: scope_creep}
      - {id: e, kind: fake_rule, wait: soon}
    """
    assert problems(text) == [
        'forewarn.yaml:4:31: rules[1]: unknown key "limt" (did you mean "limit"?)',
        'forewarn.yaml:5:19: rules[2].kind: no such rule kind: "fake_rul" '
        '(did you mean "fake_rule"?)',
        'forewarn.yaml:6:19: rules[3].kind: no such rule kind: "scope_creep"',
        "forewarn.yaml:7:36: rules[4].wait: not a duration: 'soon' "
        "(use a number and a unit: 30m, 16h, 3d, 1w)",
    ]


def test_rule_options_reach_the_config(load: Load, fake_rules: dict[str, object]) -> None:
    config = load("version: 1\nrules:\n  - {id: a, kind: fake_rule, limit: 5}\n")
    (rule,) = config.rules
    assert type(rule).__name__ == "FakeOptions"
    assert rule.limit == 5  # type: ignore[attr-defined]
