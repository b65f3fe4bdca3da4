"""The one table of what every route needs when the server runs with ``--auth``.

Keys are ``(method, path template)`` exactly as the routes declare them; a route missing
here is refused (403), and a test walks the app's routes to keep the table complete.
READ is for get, list, search and download; EDIT for log, update, upload and tags;
MANAGE for delete, restore, rename, purge and granting. Listings that span experiments
are open to every signed-in user and narrowed by the routes (``visible_experiment_ids``).
"""

from __future__ import annotations

from typing import Any

from cairn.server.auth.access import Resource
from cairn.server.auth.policy import ADMIN, PUBLIC, SIGNED_IN, Rule, both, edit, manage, read
from cairn.server.auth.resolvers import (
    experiment,
    experiment_named,
    logged_model,
    mlflow_artifact_path,
    monitor,
    monitor_alert,
    monitor_model,
    registered_model,
    run,
    token_owner,
    upload,
    user,
)


def created_experiment(answer: Any) -> Resource | None:
    """The experiment a create (or get-or-create) answer names."""
    if isinstance(answer, dict):
        found = answer.get("experiment_id")
        if found is None and isinstance(answer.get("experiment"), dict):
            found = answer["experiment"].get("experiment_id")
        if found is not None:
            return ("experiment", str(found))
    return None


def created_registered_model(answer: Any) -> Resource | None:
    """The registered model a create answer names (native or MLflow shape)."""
    if isinstance(answer, dict):
        found = answer.get("registered_model", answer)
        if isinstance(found, dict) and isinstance(found.get("name"), str):
            return ("registered_model", found["name"])
    return None


EXPERIMENT = experiment("experiment_id")
MODEL = registered_model("name")
RUN = run("run_id", "run_uuid")
UPLOAD = upload("upload_id")
LOGGED_MODEL = logged_model("model_id")
PROXIED = mlflow_artifact_path("artifact_path")
SELF = user("username")
MONITOR = monitor("name")
# Either resource, as the account API names them; the route demands exactly one.
GRANTED = (
    experiment("experiment_id", optional=True),
    registered_model("registered_model_name", optional=True),
)

NATIVE = "/api/v1"
MLFLOW = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts"
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/version"): SIGNED_IN,
    # FastAPI's API documentation
    ("GET", "/openapi.json"): SIGNED_IN,
    ("GET", "/docs"): SIGNED_IN,
    ("GET", "/docs/oauth2-redirect"): SIGNED_IN,
    ("GET", "/redoc"): SIGNED_IN,
    # native API: the store, spools, the audit trail
    ("GET", f"{NATIVE}/store"): SIGNED_IN,
    ("GET", f"{NATIVE}/spools/{{spool_id}}"): SIGNED_IN,
    ("GET", f"{NATIVE}/audit/events"): ADMIN,
    ("GET", f"{NATIVE}/audit/head"): ADMIN,
    ("GET", f"{NATIVE}/audit/verify"): ADMIN,
    ("GET", f"{NATIVE}/audit/export"): ADMIN,
    ("GET", f"{NATIVE}/audit/signatures"): ADMIN,
    ("POST", f"{NATIVE}/audit/signatures"): ADMIN,
    ("POST", f"{NATIVE}/audit/events"): ADMIN,
    ("POST", f"{NATIVE}/audit/registered-models/{{name}}/events"): edit(MODEL),
    # native API: experiments
    ("POST", f"{NATIVE}/experiments"): Rule(
        creates=created_experiment, admin_fields=("artifact_location",)
    ),
    ("POST", f"{NATIVE}/experiments/get-or-create"): read(
        experiment_named("name"), creates=created_experiment
    ),
    ("GET", f"{NATIVE}/experiments/by-name"): read(experiment_named("name")),
    ("POST", f"{NATIVE}/experiments/search"): SIGNED_IN,
    ("GET", f"{NATIVE}/experiments/deleted"): SIGNED_IN,
    ("GET", f"{NATIVE}/experiments/{{experiment_id}}"): read(EXPERIMENT),
    ("PATCH", f"{NATIVE}/experiments/{{experiment_id}}"): manage(EXPERIMENT),
    ("DELETE", f"{NATIVE}/experiments/{{experiment_id}}"): manage(EXPERIMENT),
    ("POST", f"{NATIVE}/experiments/{{experiment_id}}/restore"): manage(EXPERIMENT),
    ("POST", f"{NATIVE}/experiments/{{experiment_id}}/tags"): edit(EXPERIMENT),
    ("POST", f"{NATIVE}/experiments/{{experiment_id}}/purge"): manage(EXPERIMENT),
    # native API: runs
    ("POST", f"{NATIVE}/runs"): both(edit(EXPERIMENT), read(run("parent_run_id", optional=True))),
    ("POST", f"{NATIVE}/runs/search"): read(experiment("experiment_ids", optional=True)),
    ("GET", f"{NATIVE}/runs/deleted"): SIGNED_IN,
    ("GET", f"{NATIVE}/runs/{{run_id}}"): read(RUN),
    ("PATCH", f"{NATIVE}/runs/{{run_id}}"): edit(RUN),
    ("DELETE", f"{NATIVE}/runs/{{run_id}}"): manage(RUN),
    ("POST", f"{NATIVE}/runs/{{run_id}}/restore"): manage(RUN),
    ("POST", f"{NATIVE}/runs/{{run_id}}/purge"): manage(RUN),
    ("POST", f"{NATIVE}/runs/{{run_id}}/batch"): edit(RUN),
    ("POST", f"{NATIVE}/runs/{{run_id}}/tags/delete"): edit(RUN),
    ("GET", f"{NATIVE}/runs/{{run_id}}/metrics/history"): read(RUN),
    ("POST", f"{NATIVE}/runs/{{run_id}}/artifact-records"): edit(RUN),
    # native API: what runs read and produced, bulk reads of runs (unknown runs resolve to none)
    ("POST", f"{NATIVE}/runs/io"): read(run("run_ids", optional=True)),
    ("POST", f"{NATIVE}/runs/latest-metrics"): read(run("run_ids", optional=True)),
    ("GET", f"{NATIVE}/runs/{{run_id}}/io"): read(RUN),
    # native API: datasets (listings narrowed to the experiments the caller may read)
    ("GET", f"{NATIVE}/datasets"): SIGNED_IN,
    ("GET", f"{NATIVE}/datasets/by-name"): SIGNED_IN,
    ("GET", f"{NATIVE}/datasets/by-digest"): SIGNED_IN,
    # native API: lineage graphs (entities the caller may not read come back hidden)
    ("GET", f"{NATIVE}/lineage"): SIGNED_IN,
    ("POST", f"{NATIVE}/runs/{{run_id}}/inputs"): both(
        edit(RUN), read(logged_model("models", optional=True))
    ),
    ("POST", f"{NATIVE}/runs/{{run_id}}/outputs"): edit(
        RUN, logged_model("models.model_id", optional=True)
    ),
    # native API: pipeline schedules (a schedule runs commands on the scheduler's machine,
    # so changing one, and the scheduler's claims, are for admins)
    ("GET", f"{NATIVE}/schedules"): SIGNED_IN,
    ("POST", f"{NATIVE}/schedules"): ADMIN,
    ("GET", f"{NATIVE}/schedules/due"): SIGNED_IN,
    ("GET", f"{NATIVE}/schedules/{{name}}"): SIGNED_IN,
    ("PATCH", f"{NATIVE}/schedules/{{name}}"): ADMIN,
    ("DELETE", f"{NATIVE}/schedules/{{name}}"): ADMIN,
    ("POST", f"{NATIVE}/schedules/{{name}}/claim"): ADMIN,
    ("POST", f"{NATIVE}/schedules/{{name}}/skip"): ADMIN,
    ("POST", f"{NATIVE}/schedules/{{name}}/lease"): ADMIN,
    ("GET", f"{NATIVE}/schedules/{{name}}/runs"): SIGNED_IN,
    ("POST", f"{NATIVE}/schedule-runs/{{schedule_run_id}}/end"): ADMIN,
    # native API: the model registry (a registered model is its own resource; a version
    # made from a run also needs READ on the run's experiment)
    ("POST", f"{NATIVE}/registered-models"): Rule(creates=created_registered_model),
    ("POST", f"{NATIVE}/registered-models/search"): SIGNED_IN,
    ("POST", f"{NATIVE}/model-versions/search"): SIGNED_IN,
    ("GET", f"{NATIVE}/registered-models/{{name}}"): read(MODEL),
    ("PATCH", f"{NATIVE}/registered-models/{{name}}"): edit(MODEL),
    ("DELETE", f"{NATIVE}/registered-models/{{name}}"): manage(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/rename"): manage(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/tags"): edit(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/tags/delete"): edit(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/latest-versions"): read(MODEL),
    ("PUT", f"{NATIVE}/registered-models/{{name}}/aliases/{{alias}}"): edit(
        MODEL, manage_fields=("force",)
    ),
    ("GET", f"{NATIVE}/registered-models/{{name}}/aliases/{{alias}}"): read(MODEL),
    ("DELETE", f"{NATIVE}/registered-models/{{name}}/aliases/{{alias}}"): edit(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/versions"): both(
        edit(MODEL), read(run("run_id", optional=True))
    ),
    ("GET", f"{NATIVE}/registered-models/{{name}}/versions/{{version}}"): read(MODEL),
    ("PATCH", f"{NATIVE}/registered-models/{{name}}/versions/{{version}}"): edit(MODEL),
    ("DELETE", f"{NATIVE}/registered-models/{{name}}/versions/{{version}}"): manage(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/versions/{{version}}/tags"): edit(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/versions/{{version}}/tags/delete"): edit(MODEL),
    ("POST", f"{NATIVE}/registered-models/{{name}}/versions/{{version}}/stage"): edit(MODEL),
    # native API: monitors follow the registered model they watch (listings narrowed to
    # the models the caller may read; the model of a new monitor is in the query string)
    ("GET", f"{NATIVE}/monitors"): SIGNED_IN,
    ("POST", f"{NATIVE}/monitors"): edit(monitor_model("model")),
    ("GET", f"{NATIVE}/monitors/{{name}}"): read(MONITOR),
    ("PATCH", f"{NATIVE}/monitors/{{name}}"): edit(MONITOR),
    ("DELETE", f"{NATIVE}/monitors/{{name}}"): manage(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/reference"): read(MONITOR),
    ("POST", f"{NATIVE}/monitors/{{name}}/records"): edit(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/chunks"): read(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/records"): read(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/record-bounds"): read(MONITOR),
    ("POST", f"{NATIVE}/monitors/{{name}}/labels"): edit(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/unmatched-labels"): read(MONITOR),
    ("POST", f"{NATIVE}/monitors/{{name}}/windows"): edit(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/windows"): read(MONITOR),
    ("GET", f"{NATIVE}/monitors/{{name}}/windows/{{window_id}}"): read(MONITOR),
    ("PATCH", f"{NATIVE}/monitors/{{name}}/windows/{{window_id}}"): edit(MONITOR),
    ("POST", f"{NATIVE}/monitors/{{name}}/alerts"): edit(MONITOR),
    ("GET", f"{NATIVE}/monitor-alerts"): read(monitor("name", optional=True)),
    ("PATCH", f"{NATIVE}/monitor-alerts/{{alert_id}}"): edit(monitor_alert("alert_id")),
    ("GET", f"{NATIVE}/monitors/{{name}}/state/{{key:path}}"): read(MONITOR),
    ("PUT", f"{NATIVE}/monitors/{{name}}/state/{{key:path}}"): edit(MONITOR),
    # MLflow's model registry API (names in the body or the query)
    ("POST", f"{MLFLOW}/registered-models/create"): Rule(creates=created_registered_model),
    ("GET", f"{MLFLOW}/registered-models/get"): read(MODEL),
    ("POST", f"{MLFLOW}/registered-models/rename"): manage(MODEL),
    ("PATCH", f"{MLFLOW}/registered-models/update"): edit(MODEL),
    ("DELETE", f"{MLFLOW}/registered-models/delete"): manage(MODEL),
    ("GET", f"{MLFLOW}/registered-models/search"): SIGNED_IN,
    ("POST", f"{MLFLOW}/registered-models/get-latest-versions"): read(MODEL),
    ("POST", f"{MLFLOW}/registered-models/set-tag"): edit(MODEL),
    ("DELETE", f"{MLFLOW}/registered-models/delete-tag"): edit(MODEL),
    ("POST", f"{MLFLOW}/registered-models/alias"): edit(MODEL),
    ("DELETE", f"{MLFLOW}/registered-models/alias"): edit(MODEL),
    ("GET", f"{MLFLOW}/registered-models/alias"): read(MODEL),
    ("POST", f"{MLFLOW}/model-versions/create"): both(
        edit(MODEL), read(run("run_id", optional=True))
    ),
    ("GET", f"{MLFLOW}/model-versions/get"): read(MODEL),
    ("PATCH", f"{MLFLOW}/model-versions/update"): edit(MODEL),
    ("DELETE", f"{MLFLOW}/model-versions/delete"): manage(MODEL),
    ("GET", f"{MLFLOW}/model-versions/search"): SIGNED_IN,
    ("GET", f"{MLFLOW}/model-versions/get-download-uri"): read(MODEL),
    ("POST", f"{MLFLOW}/model-versions/transition-stage"): edit(MODEL),
    ("POST", f"{MLFLOW}/model-versions/set-tag"): edit(MODEL),
    ("DELETE", f"{MLFLOW}/model-versions/delete-tag"): edit(MODEL),
    # native API: logged models belong to experiments
    ("POST", f"{NATIVE}/logged-models"): both(
        edit(EXPERIMENT), read(run("source_run_id", optional=True))
    ),
    ("POST", f"{NATIVE}/logged-models/search"): read(experiment("experiment_ids", optional=True)),
    ("GET", f"{NATIVE}/logged-models/{{model_id}}"): read(LOGGED_MODEL),
    ("PATCH", f"{NATIVE}/logged-models/{{model_id}}"): edit(LOGGED_MODEL),
    ("DELETE", f"{NATIVE}/logged-models/{{model_id}}"): manage(LOGGED_MODEL),
    ("POST", f"{NATIVE}/logged-models/{{model_id}}/tags"): edit(LOGGED_MODEL),
    ("POST", f"{NATIVE}/logged-models/{{model_id}}/tags/delete"): edit(LOGGED_MODEL),
    ("POST", f"{NATIVE}/logged-models/{{model_id}}/params"): edit(LOGGED_MODEL),
    ("POST", f"{NATIVE}/logged-models/{{model_id}}/metrics"): both(
        edit(LOGGED_MODEL), read(run("metrics.run_id", optional=True))
    ),
    ("POST", f"{NATIVE}/logged-models/{{model_id}}/artifact-records"): edit(LOGGED_MODEL),
    # native API: the artifact proxy and its resumable uploads
    ("GET", f"{NATIVE}/runs/{{run_id}}/artifacts"): read(RUN),
    ("GET", f"{NATIVE}/runs/{{run_id}}/artifacts/files/{{path:path}}"): read(RUN),
    ("PUT", f"{NATIVE}/runs/{{run_id}}/artifacts/files/{{path:path}}"): edit(RUN),
    ("DELETE", f"{NATIVE}/runs/{{run_id}}/artifacts"): manage(RUN),
    ("POST", f"{NATIVE}/runs/{{run_id}}/artifacts/uploads"): edit(RUN),
    ("GET", f"{NATIVE}/artifact-uploads/{{upload_id}}"): edit(UPLOAD),
    ("PUT", f"{NATIVE}/artifact-uploads/{{upload_id}}/parts/{{index}}"): edit(UPLOAD),
    ("POST", f"{NATIVE}/artifact-uploads/{{upload_id}}/complete"): edit(UPLOAD),
    ("DELETE", f"{NATIVE}/artifact-uploads/{{upload_id}}"): edit(UPLOAD),
    # MLflow's tracking API
    ("POST", f"{MLFLOW}/experiments/create"): Rule(
        creates=created_experiment, admin_fields=("artifact_location",)
    ),
    ("GET", f"{MLFLOW}/experiments/get"): read(EXPERIMENT),
    ("GET", f"{MLFLOW}/experiments/get-by-name"): read(experiment_named("experiment_name")),
    ("POST", f"{MLFLOW}/experiments/search"): SIGNED_IN,
    ("GET", f"{MLFLOW}/experiments/search"): SIGNED_IN,
    ("POST", f"{MLFLOW}/experiments/update"): manage(EXPERIMENT),
    ("POST", f"{MLFLOW}/experiments/delete"): manage(EXPERIMENT),
    ("POST", f"{MLFLOW}/experiments/restore"): manage(EXPERIMENT),
    ("POST", f"{MLFLOW}/experiments/set-experiment-tag"): edit(EXPERIMENT),
    # MLflow's server puts a run without an experiment in the Default one
    ("POST", f"{MLFLOW}/runs/create"): edit(experiment("experiment_id", default="0")),
    ("GET", f"{MLFLOW}/runs/get"): read(RUN),
    ("POST", f"{MLFLOW}/runs/update"): edit(RUN),
    ("POST", f"{MLFLOW}/runs/delete"): manage(RUN),
    ("POST", f"{MLFLOW}/runs/restore"): manage(RUN),
    ("POST", f"{MLFLOW}/runs/search"): read(experiment("experiment_ids", optional=True)),
    # points naming a logged model are written to that model too
    ("POST", f"{MLFLOW}/runs/log-metric"): edit(RUN, logged_model("model_id", optional=True)),
    ("POST", f"{MLFLOW}/runs/log-parameter"): edit(RUN),
    ("POST", f"{MLFLOW}/runs/set-tag"): edit(RUN),
    ("POST", f"{MLFLOW}/runs/delete-tag"): edit(RUN),
    ("POST", f"{MLFLOW}/runs/log-batch"): edit(
        RUN, logged_model("metrics.model_id", optional=True)
    ),
    ("POST", f"{MLFLOW}/runs/log-inputs"): both(
        edit(RUN), read(logged_model("models.model_id", optional=True))
    ),
    ("POST", f"{MLFLOW}/runs/outputs"): edit(RUN, logged_model("models.model_id", optional=True)),
    ("POST", f"{MLFLOW}/runs/log-model"): edit(RUN),
    ("GET", f"{MLFLOW}/metrics/get-history"): read(RUN),
    ("GET", f"{MLFLOW}/artifacts/list"): read(RUN),
    # MLflow 3's logged models belong to experiments
    ("POST", f"{MLFLOW}/logged-models"): both(
        edit(EXPERIMENT), read(run("source_run_id", optional=True))
    ),
    ("POST", f"{MLFLOW}/logged-models/search"): read(experiment("experiment_ids", optional=True)),
    ("GET", f"{MLFLOW}/logged-models/{{model_id}}"): read(LOGGED_MODEL),
    ("PATCH", f"{MLFLOW}/logged-models/{{model_id}}"): edit(LOGGED_MODEL),
    ("DELETE", f"{MLFLOW}/logged-models/{{model_id}}"): manage(LOGGED_MODEL),
    ("PATCH", f"{MLFLOW}/logged-models/{{model_id}}/tags"): edit(LOGGED_MODEL),
    ("DELETE", f"{MLFLOW}/logged-models/{{model_id}}/tags/{{tag_key:path}}"): edit(LOGGED_MODEL),
    ("POST", f"{MLFLOW}/logged-models/{{model_id}}/params"): edit(LOGGED_MODEL),
    ("GET", f"{MLFLOW}/logged-models/{{model_id}}/artifacts/directories"): read(LOGGED_MODEL),
    ("GET", "/api/3.0/mlflow/server-info"): SIGNED_IN,
    # MLflow's artifact proxy: paths start <experiment_id>/<run_id>/ or <experiment_id>/models/
    ("GET", f"{PROXY}/artifacts"): read(mlflow_artifact_path("path")),
    ("GET", f"{PROXY}/artifacts/{{artifact_path:path}}"): read(PROXIED),
    ("PUT", f"{PROXY}/artifacts/{{artifact_path:path}}"): edit(PROXIED),
    ("DELETE", f"{PROXY}/artifacts/{{artifact_path:path}}"): manage(PROXIED),
    # the web UI (cairn.ui): sign-in is open; pages narrow listings to what the user may read
    ("GET", "/static"): PUBLIC,  # stylesheets and scripts, also of the sign-in page
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("GET", "/"): SIGNED_IN,
    ("GET", "/experiments"): SIGNED_IN,
    ("GET", "/experiments/{experiment_id}"): read(EXPERIMENT),
    ("GET", "/runs"): SIGNED_IN,
    # run and compare pages, chart data, artifact views: each answers 404 for a run of an
    # experiment the user may not read (cairn.ui.readable), so none tells that it exists
    ("GET", "/runs/{run_id}"): SIGNED_IN,
    ("GET", "/runs/{run_id}/series"): SIGNED_IN,
    ("GET", "/runs/{run_id}/artifacts"): SIGNED_IN,
    ("GET", "/runs/{run_id}/artifacts/raw/{path:path}"): SIGNED_IN,
    ("GET", "/compare"): SIGNED_IN,
    ("GET", "/datasets"): SIGNED_IN,
    ("GET", "/datasets/{name:path}"): SIGNED_IN,
    ("GET", "/compare/series"): SIGNED_IN,
    ("GET", "/pipelines"): SIGNED_IN,  # pipeline runs of the experiments the user may read
    ("GET", "/pipelines/{run_id}"): SIGNED_IN,  # 404 for a run the user may not read
    # registry pages: 404 for a model the user may not read (cairn.ui.pages.models)
    ("GET", "/models"): SIGNED_IN,
    ("GET", "/models/{name}"): SIGNED_IN,
    ("GET", "/models/{name}/versions/{version}"): SIGNED_IN,
    # monitoring pages: 404 for a monitor of a model the user may not read; creating one
    # needs EDIT on its model (cairn.ui.pages.monitors)
    ("GET", "/monitors"): SIGNED_IN,
    ("GET", "/monitors/new"): SIGNED_IN,
    ("POST", "/monitors/new"): SIGNED_IN,
    ("GET", "/monitors/{name}"): SIGNED_IN,
    ("GET", "/monitors/{name}/windows/{window_id}"): SIGNED_IN,
    # the account API (served only with --auth)
    ("GET", f"{NATIVE}/auth/whoami"): SIGNED_IN,
    ("GET", f"{NATIVE}/auth/users"): ADMIN,
    ("POST", f"{NATIVE}/auth/users"): ADMIN,
    ("GET", f"{NATIVE}/auth/users/{{username}}"): manage(SELF),
    ("PATCH", f"{NATIVE}/auth/users/{{username}}"): ADMIN,
    ("DELETE", f"{NATIVE}/auth/users/{{username}}"): ADMIN,
    ("PUT", f"{NATIVE}/auth/users/{{username}}/password"): manage(SELF),
    ("GET", f"{NATIVE}/auth/users/{{username}}/tokens"): manage(SELF),
    ("POST", f"{NATIVE}/auth/users/{{username}}/tokens"): manage(SELF),
    ("DELETE", f"{NATIVE}/auth/tokens/{{token_id}}"): manage(token_owner("token_id")),
    ("GET", f"{NATIVE}/auth/users/{{username}}/permissions"): manage(SELF),
    ("GET", f"{NATIVE}/auth/permissions"): manage(*GRANTED),
    ("PUT", f"{NATIVE}/auth/permissions"): manage(*GRANTED),
    ("POST", f"{NATIVE}/auth/permissions/revoke"): manage(*GRANTED),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of one route (HEAD follows GET; ``*`` covers any method), or None."""
    found = RULES.get(("GET" if method == "HEAD" else method, path))
    return found if found is not None else RULES.get(("*", path))
