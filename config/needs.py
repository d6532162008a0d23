"""What each project needs from the rest of the file, checked before anything runs.

Each of these was once found only at run time, or never: a tracker without a
token (every request refused), a rule whose milestone alerts have no status
issue to go to (dropped), a label the tracker cannot hold (every write of it
refused), two projects on one tracker project (each removing the other's
labels and rewriting the other's comments). They work on plain data, like
``references.py``, so the loader reports them with every other problem, each
at its own value; ``warnings`` are reported without failing the load.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from config.fields import Loc
from config.trackers import jira_label_problem
from rules import registry

#: The keys of a rule that name labels, and where each label comes from.
LABEL_KEYS = ("label", "approved_labels", "pause_labels", "ack_labels", "only_labels",
              "exempt_labels")
#: Each tracker kind's default token, from the settings.
TOKEN_VARIABLES = {"github": "FOREWARN_GITHUB_TOKEN", "jira": "FOREWARN_JIRA_API_TOKEN"}
GITHUB_API = "https://api.github.com"

Problems = list[tuple[Loc, str]]


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _projects(data: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, project in enumerate(_sequence(data.get("projects"))):
        if isinstance(project, Mapping) and isinstance(project.get("name"), str):
            yield index, project


def _rules(data: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, rule in enumerate(_sequence(data.get("rules"))):
        if isinstance(rule, Mapping) and isinstance(rule.get("id"), str):
            yield index, rule


def applies(rule: Mapping[str, Any], project: Mapping[str, Any]) -> bool:
    """``Config.rules_for`` on plain data: enabled, scoped to the project, chosen by it."""
    if rule.get("enabled", True) is False:
        return False
    scope = _sequence(rule.get("projects"))
    if scope and project.get("name") not in scope:
        return False
    chosen = project.get("rules")
    return chosen is None or rule.get("id") in _sequence(chosen)


def _tracker(data: Mapping[str, Any], project: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(_mapping(data.get("trackers")).get(project.get("tracker")))


def need_problems(
    data: Mapping[str, Any], *, default_tokens: Collection[str] | None,
    failed: Collection[Loc] = (),
) -> Problems:
    """Every need a project has that the file does not meet; tokens only when
    ``default_tokens`` (the tracker kinds the settings give a token for) is known.
    ``failed`` are values whose ``${VAR}`` could not be read (already reported)."""
    problems: Problems = []
    if default_tokens is not None:
        problems += token_problems(data, default_tokens, failed=failed)
    problems += status_issue_problems(data)
    problems += label_problems(data)
    problems += email_problems(data)
    problems += overlap_problems(data)
    return problems


def token_problems(data: Mapping[str, Any], default_tokens: Collection[str], *,
                   failed: Collection[Loc] = ()) -> Problems:
    """A tracker that a project uses and that has no token anywhere: every request would be
    refused, so it is an error now rather than a 401 later."""
    used = {project.get("tracker") for _, project in _projects(data)}
    problems: Problems = []
    for name, tracker in _mapping(data.get("trackers")).items():
        kind = _mapping(tracker).get("kind")
        if name not in used or kind not in TOKEN_VARIABLES or kind in default_tokens \
                or ("trackers", name, "token") in failed:
            continue
        if _mapping(tracker).get("token") or _mapping(tracker).get("app_id") is not None:
            continue
        variable = TOKEN_VARIABLES[kind]
        example = "GITHUB_TOKEN" if kind == "github" else "JIRA_API_TOKEN"
        problems.append(((("trackers", name)), (
            f'tracker "{name}" has no token: add token: ${{{example}}} (read from the '
            f"environment or /run/secrets), or set {variable}")))
    return problems


def _milestone_rules(data: Mapping[str, Any], project: Mapping[str, Any]) -> list[str]:
    return [str(rule["id"]) for _, rule in _rules(data)
            if applies(rule, project) and isinstance(rule.get("kind"), str)
            and registry.posts_to_status_issue(rule["kind"])]


def _example_issue(data: Mapping[str, Any], project: Mapping[str, Any]) -> str:
    key = project.get("jira_project")
    if _tracker(data, project).get("kind") == "jira" and key:
        return f"{key}-1"
    if project.get("github_project") and not (project.get("repo") or project.get("repos")):
        return "owner/repo#1"  # a Project's items may live in any repository
    return "1"


def status_issue_problems(data: Mapping[str, Any]) -> Problems:
    """Rules whose milestone alerts would have nowhere to go."""
    problems: Problems = []
    for index, project in _projects(data):
        rules = _milestone_rules(data, project)
        alerts = project.get("alerts")
        to_digest = isinstance(alerts, Mapping) and alerts.get("to") == "digest"
        if project.get("status_issue") is not None or not rules or to_digest:
            continue  # a digest lists milestone alerts on its own team issue
        noun = f"rule {rules[0]} posts" if len(rules) == 1 else (
            f"rules {', '.join(rules[:-1])} and {rules[-1]} post")
        problems.append((("projects", index), (
            f'project "{project["name"]}": {noun} milestone alerts to status_issue, which is '
            f"not set: add status_issue: {_example_issue(data, project)} (an issue the team "
            "watches; the summary goes there too)")))
    return problems


def warnings(data: Mapping[str, Any]) -> Problems:
    """What will not happen although nothing is wrong enough to stop: a project without a
    status issue whose summary has nowhere to go."""
    found: Problems = []
    for index, project in _projects(data):
        summary = _mapping(project.get("summary")) or _mapping(data.get("summary"))
        if project.get("status_issue") is not None or summary.get("to", "status_issue") != \
                "status_issue" or _milestone_rules(data, project):
            continue
        found.append((("projects", index), (
            f'project "{project["name"]}" has no status_issue: its summary is only shown by '
            "forewarn report (set status_issue, or summary.to: none)")))
    return found


def _labels(rule: Mapping[str, Any]) -> Iterator[tuple[Loc, str]]:
    for key in LABEL_KEYS:
        value = rule.get(key)
        if isinstance(value, str):
            yield (key,), value
        for position, item in enumerate(_sequence(value)):
            if isinstance(item, str):
                yield (key, position), item


def label_problems(data: Mapping[str, Any]) -> Problems:
    """Labels a rule would put on (or look for on) a Jira issue that Jira cannot hold."""
    problems: Problems = []
    jira = [project for _, project in _projects(data)
            if _tracker(data, project).get("kind") == "jira"]
    for index, rule in _rules(data):
        users = [str(project["name"]) for project in jira if applies(rule, project)]
        if not users:
            continue
        for loc, label in _labels(rule):
            why = jira_label_problem(label)
            if why is not None:
                problems.append((("rules", index, *loc), (
                    f'rule "{rule["id"]}": label "{label}" cannot be used on Jira (project '
                    f'"{users[0]}"): {why}')))
    return problems


def email_problems(data: Mapping[str, Any]) -> Problems:
    """E-mail patterns on GitHub: its API shows nobody's e-mail address on issues and
    comments, so such a pattern places no one (every client silently missed)."""
    problems: Problems = []
    for index, project in _projects(data):
        if _tracker(data, project).get("kind") != "github":
            continue
        for key, keyword in (("clients", "clients: external"), ("team", "team: members")):
            for position, pattern in enumerate(_sequence(project.get(key))):
                if isinstance(pattern, str) and "@" in pattern[1:]:
                    problems.append((("projects", index, key, position), (
                        f'project "{project["name"]}": "{pattern}" in {key} is an e-mail '
                        "pattern, but GitHub shows no one's e-mail address on issues: list "
                        f"GitHub logins, or write {keyword}")))
    return problems


def _watched(data: Mapping[str, Any], project: Mapping[str, Any]) -> tuple[tuple[str, ...], str,
                                                                           str] | None:
    """(what identifies the tracker project, the key that names it, how to show it)."""
    tracker = _tracker(data, project)
    kind = tracker.get("kind")
    if kind == "github" and isinstance(project.get("repo"), str):
        site = str(tracker.get("base_url") or GITHUB_API).rstrip("/").casefold()
        return ("github", site, project["repo"].casefold()), "repo", project["repo"]
    if kind == "jira" and isinstance(project.get("jira_project"), str):
        site = str(tracker.get("url") or "").rstrip("/").casefold()
        key = project["jira_project"]
        return ("jira", site, key), "jira_project", f"{key} on {tracker.get('url')}"
    if kind == "local" and isinstance(tracker.get("path"), str):
        return ("local", tracker["path"]), "tracker", tracker["path"]
    return None


def overlap_problems(data: Mapping[str, Any]) -> Problems:
    """Two projects on one tracker project: forewarn's labels and comments are its own by
    account, not by project, so each would undo the other's work."""
    problems: Problems = []
    first: dict[tuple[str, ...], str] = {}
    for index, project in _projects(data):
        watched = _watched(data, project)
        if watched is None:
            continue
        identity, key, shown = watched
        if identity not in first:
            first[identity] = str(project["name"])
            continue
        better = {"jira": "boards: [12, 15] watches several boards, milestones: [sprint, "
                          "version] both kinds",
                  "github": "one forewarn project per repository"}.get(
                      identity[0], "one forewarn project per tracker file")
        problems.append((("projects", index, key), (
            f'project "{project["name"]}" watches {shown} like project "{first[identity]}": '
            "the two would remove each other's labels and rewrite each other's comments; "
            f"make them one project ({better})")))
    return problems
