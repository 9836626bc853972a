"""`qcpilot api`: a small HTTP endpoint for other systems, read-only.

    POST /evaluate?lang=fr|en          the body is the JSON `qcpilot evaluate` reads; 200: the list it prints with
                                       --format json; 422: {"problems": [...]}, one line per problem, as the command
                                       says them (the input named "request")
    GET  /explain/{application_id}?lang=fr|en
                                       200: what `qcpilot explain --format json` prints; 404: no such application;
                                       503: no published database there (or not of this release's layout)

Only requests whose Host header names the API as it is reached are answered (`hosts`: the address it listens on,
localhost and 127.0.0.1, and the names its operator gives): a page of another site whose name is made to resolve to
this address (DNS rebinding) sends that name, and is refused (400, Starlette's TrustedHostMiddleware) before anything
is read.

Both answer with the JSON of flows/readers/grounds.py (its values' control and format characters escaped). Nothing is
written: `POST /evaluate` decides in memory (flows/pipeline/cases.py) against what the server read when it started
(the legal values, the configuration, the reference data, the wage extract); `GET /explain` opens the published
database read-only for each request, so it answers from the latest publish. An error is an answer with one line
naming its kind (`internal error (KeyError)`), never a traceback nor a library's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from flows.pipeline.cases import Basis

SOURCE = "request"  # how the problems of a request's cases name it
LOCAL = ("localhost", "127.0.0.1")  # the names of this machine the API always answers to


def allowed_hosts(host: str, also: Sequence[str] = ()) -> list[str]:
    """The Host headers the API listening on `host` answers: that address, localhost, 127.0.0.1 and the names `also`
    (no port: any is accepted), lower-case; an IPv6 address in brackets, as a Host header writes it."""
    def header(name: str) -> str:
        name = name.strip().lower()
        return f"[{name.strip('[]')}]" if ":" in name else name
    return list(dict.fromkeys(header(h) for h in (host, *LOCAL, *also)))


def app_for(db: Path, basis: Basis, hosts: Sequence[str] = LOCAL) -> FastAPI:
    """The API over the published database `db`, deciding cases against `basis`, answering the requests whose Host
    header is one of `hosts` (allowed_hosts) and refusing any other."""
    api = FastAPI(title="qcpilot", openapi_url=None, docs_url=None, redoc_url=None)
    api.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts), www_redirect=False)

    @api.post("/evaluate")
    async def evaluate(request: Request, lang: str = "fr") -> Response:
        if lang not in ("fr", "en"):
            return _error(422, f"lang must be fr or en, not {lang!r}")
        data = await request.body()
        return await run_in_threadpool(_answered, _evaluate, data, basis, lang)

    @api.get("/explain/{application_id}")
    def explain(application_id: str, lang: str = "fr") -> Response:
        if lang not in ("fr", "en"):
            return _error(422, f"lang must be fr or en, not {lang!r}")
        return _answered(_explain, db, application_id, basis, lang)

    return api


def _evaluate(data: bytes, basis: Basis, lang: str) -> Response:
    from flows.ingest.cases import CaseProblems, read_cases
    from flows.pipeline.cases import decided
    from schemas import MODELS

    columns = {e: list(MODELS[e].to_schema().columns) for e in ("applications", "experience")}
    try:
        with decided(read_cases(data, SOURCE, columns["applications"], columns["experience"]), basis) as found:
            return _json(200, found.as_json(lang))
    except CaseProblems as exc:
        return _json(422, {"problems": exc.lines})


def _explain(db: Path, application_id: str, basis: Basis, lang: str) -> Response:
    from flows.readers.explain import UnknownApplication
    from flows.readers.grounds import explain_json
    from flows.store import layout

    if not db.exists():
        return _error(503, f"{db}: no published database (run `qcpilot run` first)")
    if layout.inspect(db, writing=False).layout != layout.CURRENT:
        return _error(503, f"{db}: published by an earlier release; the next `qcpilot run` upgrades it")
    try:
        return _json(200, explain_json(db, application_id, lang, basis.figures))
    except UnknownApplication:
        return _error(404, f"no application {application_id!r}")


def _answered(work, *args) -> Response:
    """`work`'s answer; our own errors as their one line, any other as its kind (a library's text may quote a
    row)."""
    import os

    from flows.runtime.errors import QcpilotError

    try:
        return work(*args)
    except QcpilotError as exc:
        return _error(503 if exc.exit_code == 1 else 422, str(exc))
    except Exception as exc:
        if os.environ.get("QCPILOT_DEBUG"):
            raise
        return _error(500, f"internal error ({type(exc).__name__})")


def _json(status: int, found) -> Response:
    from flows.readers.grounds import dumps

    return Response(content=dumps(found), status_code=status, media_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json(status, {"error": message})
