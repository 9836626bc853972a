"""The nightly deployment as an operator runs it: a real `prefect server`, `qcpilot serve` on an inbox, and runs of
the deployment read back through the server's API and Prefect's own CLI (issue #22: what Prefect shows of a night)."""

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.conftest import QCPILOT
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv

PREFECT = QCPILOT.parent / "prefect"


def deliver(inbox, apps):
    write_csv(apps, APP_COLUMNS, inbox / "applications" / "a.csv")
    write_csv([spell(application_id=a["application_id"]) for a in apps], SPELL_COLUMNS, inbox / "experience" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, inbox / "wages" / "w.csv")


class Api:
    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=30)

    def post(self, path: str, body: dict | None = None):
        for wait in (1, 2, 4, 8, 0):  # a server busy with its own SQLite answers 503 for a moment
            response = self.http.post(path, json=body or {})
            if response.status_code != 503 or not wait:
                break
            time.sleep(wait)
        response.raise_for_status()
        return response.json()

    def deployment_id(self, since: dt.datetime, timeout: float = 120) -> str:
        """The nightly deployment once the serve started at `since` has registered it (a serve that stops pauses
        it; the next one registers it again, unpaused)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [d for d in self.post("/deployments/filter", {"limit": 10})
                     if d["name"] == "qcpilot-nightly" and not d["paused"]
                     and dt.datetime.fromisoformat(d["updated"]) > since]
            if found:
                return found[0]["id"]
            time.sleep(1)
        raise AssertionError("qcpilot serve registered no deployment")

    def night(self, deployment: str, timeout: float = 240, **parameters) -> dict:
        """Run the deployment now (as its schedule would) and wait for the run's final state."""
        return self.until(self.post(f"/deployments/{deployment}/create_flow_run", {"parameters": parameters}),
                          ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"), timeout)

    def until(self, run: dict, states: tuple[str, ...], timeout: float = 240) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.http.get(f"/flow_runs/{run['id']}")
            if response.status_code == 200 and (found := response.json())["state"]["type"] in states:
                return found
            time.sleep(0.5)
        raise AssertionError(f"the nightly run is not {' or '.join(states)}")

    def logs(self, run_id: str, last: str, timeout: float = 60) -> list[str]:
        """The run's log lines, once the line holding `last` has reached the server (logs are sent in batches)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [entry["message"] for entry in self.post("/logs/filter", {
                "logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200})]
            if any(last in line for line in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(1)

    def artifacts(self, run_id: str) -> dict[str, dict]:
        return {a["key"]: a for a in self.post("/artifacts/filter", {
            "artifacts": {"flow_run_id": {"any_": [run_id]}}, "limit": 50}) if a["key"]}


@pytest.fixture
def served(tmp_path, prefect_api):
    """`qcpilot serve` on an empty inbox, its deployment registered; yields (api, deployment id, inbox, db, output)."""
    env = {**prefect_api, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    inbox, db = tmp_path / "inbox", tmp_path / "out" / "q.duckdb"
    inbox.mkdir()
    output = tmp_path / "serve.txt"
    since = dt.datetime.now(dt.UTC)  # the server runs on this machine, on its clock
    with open(output, "wb") as sink:
        proc = subprocess.Popen([str(QCPILOT), "serve", "--inbox", str(inbox), "--db", str(db)], env=env,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    api = Api(prefect_api["PREFECT_API_URL"])
    try:
        yield api, api.deployment_id(since), inbox, db, output, env, proc
    finally:
        with contextlib.suppress(ProcessLookupError):  # a test may have stopped it
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_each_night_shows_in_prefect_as_it_was(served):
    api, deployment, inbox, db, output, env, _ = served
    good = [app(application_id=f"A{i}", person_id=f"P{i}") for i in range(20)]

    # a night rejecting more than 5 % of its applications: Failed, its reason in one line, no traceback anywhere
    deliver(inbox, [*good, app(application_id="B1", person_id="Q1", birth_date="1990-02-30"),
                    app(application_id="B2", person_id="Q2", birth_date="soon")])
    refused = api.night(deployment)
    assert refused["state"]["type"] == "FAILED" and refused["state"]["name"] == "Failed"
    message = refused["state"]["message"]
    assert message.startswith("applications: 2 of 22 rows rejected (9.1 %, more than the 5 % allowed") and (
        "\n" not in message) and "1990-02-30" not in message
    logs = api.logs(refused["id"], "Finished in state Failed")
    assert any(message in line for line in logs), logs
    assert not any("Traceback" in line or "Engine execution exited" in line for line in logs), "\n---\n".join(logs)
    assert not db.exists() and (inbox / "applications" / "a.csv").is_file()  # nothing published, files left

    # the same night corrected: Completed, the report written and attached, its headline counts a table in words
    deliver(inbox, good)
    published = api.night(deployment)
    assert published["state"]["name"] == "Completed", published["state"]
    artifacts = api.artifacts(published["id"])
    assert {"qcpilot-run-summary", "qcpilot-headline", "qcpilot-cap-usage", "qcpilot-report"} <= artifacts.keys()
    report = artifacts["qcpilot-report"]["data"]
    path = report[report.index("(file://") + len("(file://"):report.index(")")]
    assert path.startswith(str(db.parent / "reports" / "report-")) and path.endswith(".html")
    assert os.stat(path).st_mode & 0o777 == db.stat().st_mode & 0o666
    headline = {row["count"]: row["value"] for row in json.loads(artifacts["qcpilot-headline"]["data"])}
    assert headline["applications: read"] == headline["applications: kept"] == 20
    assert headline["applications: rejected"] == 0 and headline["selection: cap reached"] == 0
    assert headline["eligible"] + headline["ineligible"] + headline["undetermined (review)"] == 20
    for artifact in artifacts.values():  # words, not Python values
        assert not any(word in artifact["data"] for word in ("True", "False", "None", "cap_reached", "status_"))
    run_id = path.rsplit("report-", 1)[1].removesuffix(".html")
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*.csv")) == [
        f"processed/{run_id}/applications/a.csv", f"processed/{run_id}/experience/e.csv",
        f"processed/{run_id}/wages/w.csv"]

    # the next night, nothing delivered: a Completed state named so, with its reason
    quiet = api.night(deployment)
    assert quiet["state"]["type"] == "COMPLETED" and quiet["state"]["name"] == "Nothing new"
    assert "no delivery" in quiet["state"]["message"]

    # Prefect's own CLI lists the nights and the deployment (the pinned fastapi answers its filters)
    listed = {}
    for command in (("flow-run", "ls"), ("deployment", "ls")):
        proc = subprocess.run([str(PREFECT), *command], env={**env, "COLUMNS": "250"}, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        listed[command[0]] = proc.stdout
    assert all(night["name"] in listed["flow-run"] for night in (refused, published, quiet)), listed["flow-run"]
    assert "qcpilot-nightly" in listed["deployment"]

    served_output = output.read_text(errors="replace")
    assert "Traceback" not in served_output and "Engine execution exited" not in served_output, served_output


def test_stopping_serve_stops_the_night_it_runs_first(served):
    """Found by the hostile test: serve stopped mid-night left the night Running in Prefect for good."""
    from filelock import FileLock

    from flows.store.lock import lock_path

    api, deployment, inbox, db, output, env, serve = served
    deliver(inbox, [app()])
    db.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path(db)):  # another writer: the night waits for it, Running
        run = api.post(f"/deployments/{deployment}/create_flow_run", {"parameters": {"wait": 600}})
        try:
            api.until(run, ("RUNNING",), timeout=60)
        except AssertionError:
            raise AssertionError(output.read_text()) from None
        time.sleep(2)  # in the flow, waiting for the lock
        os.killpg(serve.pid, signal.SIGTERM)
        assert serve.wait(120) == 0
    stopped = api.until(run, ("CRASHED", "FAILED", "CANCELLED", "COMPLETED"), timeout=30)
    assert stopped["state"]["type"] == "CRASHED", stopped["state"]
    assert not db.exists() and not list(db.parent.glob(".q.duckdb.*.tmp*"))
    assert (inbox / "applications" / "a.csv").is_file()
