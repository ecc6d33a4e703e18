"""Real-shaped GitHub webhook payloads (field names as in GitHub's "Webhook events and payloads"),
trimmed to what a reader needs; each builder returns a fresh dict."""

from __future__ import annotations

REPOSITORY = {
    "id": 1296269,
    "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
    "name": "Hello-World",
    "full_name": "octocat/Hello-World",
    "private": False,
    "owner": {"login": "octocat", "id": 1, "type": "User"},
    "html_url": "https://github.com/octocat/Hello-World",
    "default_branch": "main",
}
SENDER = {"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": False}


def _issue(number: int, title: str, body: str | None, state: str = "open") -> dict:
    return {
        "url": f"https://api.github.com/repos/octocat/Hello-World/issues/{number}",
        "repository_url": "https://api.github.com/repos/octocat/Hello-World",
        "html_url": f"https://github.com/octocat/Hello-World/issues/{number}",
        "id": 1000000 + number,
        "node_id": "MDU6SXNzdWUx",
        "number": number,
        "title": title,
        "user": SENDER,
        "labels": [{"id": 208045946, "name": "bug", "color": "f29513", "default": True}],
        "state": state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": "2026-11-20T13:33:48Z",
        "updated_at": "2026-11-20T13:33:48Z",
        "closed_at": None if state == "open" else "2026-11-21T09:00:00Z",
        "author_association": "OWNER",
        "state_reason": None if state == "open" else "completed",
        "body": body,
    }


def ping() -> dict:
    return {
        "zen": "Non-blocking is better than blocking.",
        "hook_id": 30,
        "hook": {
            "type": "Repository",
            "id": 30,
            "name": "web",
            "active": True,
            "events": ["issues", "issue_comment", "workflow_run", "check_run"],
            "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://desk.example.com/hook"},
        },
        "repository": REPOSITORY,
        "sender": SENDER,
    }


def issues(action: str, number: int = 1347, title: str = "Found a bug", body: str | None = "It crashes") -> dict:
    state = "closed" if action == "closed" else "open"
    payload = {
        "action": action,
        "issue": _issue(number, title, body, state),
        "repository": REPOSITORY,
        "sender": SENDER,
    }
    if action == "edited":
        payload["changes"] = {"title": {"from": "Found a bug"}}
    return payload


def issue_comment(number: int = 1347, body: str = "Me too, on Windows 11") -> dict:
    return {
        "action": "created",
        "issue": _issue(number, "Found a bug", "It crashes"),
        "comment": {
            "url": "https://api.github.com/repos/octocat/Hello-World/issues/comments/1",
            "html_url": f"https://github.com/octocat/Hello-World/issues/{number}#issuecomment-1",
            "issue_url": f"https://api.github.com/repos/octocat/Hello-World/issues/{number}",
            "id": 1,
            "node_id": "MDEyOklzc3VlQ29tbWVudDE=",
            "user": {"login": "hubot", "id": 2, "type": "User"},
            "created_at": "2026-11-21T10:00:00Z",
            "updated_at": "2026-11-21T10:00:00Z",
            "author_association": "CONTRIBUTOR",
            "body": body,
        },
        "repository": REPOSITORY,
        "sender": {"login": "hubot", "id": 2, "type": "User"},
    }


def workflow_run(conclusion: str = "failure", run_id: int = 30433642, action: str = "completed") -> dict:
    return {
        "action": action,
        "workflow_run": {
            "id": run_id,
            "name": "Build",
            "node_id": "MDEyOldvcmtmbG93IFJ1bjI2OTI4OQ==",
            "head_branch": "main",
            "head_sha": "acb5820ced9479c074f688cc328bf03f341a511d",
            "path": ".github/workflows/build.yml",
            "run_number": 562,
            "event": "push",
            "status": "completed",
            "conclusion": conclusion,
            "workflow_id": 159038,
            "html_url": f"https://github.com/octocat/Hello-World/actions/runs/{run_id}",
            "created_at": "2026-11-21T11:00:00Z",
            "updated_at": "2026-11-21T11:04:00Z",
            "run_attempt": 1,
        },
        "workflow": {"id": 159038, "name": "Build", "path": ".github/workflows/build.yml", "state": "active"},
        "repository": REPOSITORY,
        "sender": SENDER,
    }


def check_run(conclusion: str = "timed_out", run_id: int = 128620228) -> dict:
    return {
        "action": "completed",
        "check_run": {
            "id": run_id,
            "name": "Octocoders-linter",
            "node_id": "MDg6Q2hlY2tSdW4xMjg2MjAyMjg=",
            "head_sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            "external_id": "",
            "url": f"https://api.github.com/repos/octocat/Hello-World/check-runs/{run_id}",
            "html_url": f"https://github.com/octocat/Hello-World/runs/{run_id}",
            "status": "completed",
            "conclusion": conclusion,
            "started_at": "2026-11-21T11:00:00Z",
            "completed_at": "2026-11-21T11:30:00Z",
            "check_suite": {"id": 118578147, "head_branch": "changes", "head_sha": "ec26c3e57ca3a959ca5aad62de7213c5"},
            "app": {"id": 29310, "slug": "octoapp", "name": "octoapp"},
            "pull_requests": [],
        },
        "repository": REPOSITORY,
        "sender": SENDER,
    }


def star() -> dict:
    return {"action": "created", "starred_at": "2026-11-21T12:00:00Z", "repository": REPOSITORY, "sender": SENDER}
