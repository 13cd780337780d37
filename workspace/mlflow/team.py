"""Work with teammates on one MLflow server ("Work as a team").

    python mlflow/team.py log --member NAME    # a run in the shared experiment, with a small model
    python mlflow/team.py runs                 # every member's runs in that experiment
    python mlflow/team.py register --member NAME  # NAME's latest run's model, as a new version of team-model
    python mlflow/team.py load                 # the latest version of team-model, whoever registered it

Everyone on the team points at the same server: TEAM_MLFLOW_TRACKING_URI if it is set, else
MLFLOW_TRACKING_URI. The tutorial's terminals set both: to your own stack's server, or in a
workshop whose instructor runs a class server, TEAM_MLFLOW_TRACKING_URI to that one. The server
keeps runs in PostgreSQL and files in its S3 bucket, and hands both to whoever asks. The "model" is a small JSON file of coefficients, so that this works with
the MLflow client alone (mlflow-skinny); a real one would be logged with mlflow.sklearn and the
like, and registered the same way. If TUTORIAL_MARKER is set, runs carry it as the tag
`tutorial.marker`, and `runs` lists only the runs that carry it.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from random import Random

import mlflow
from mlflow.tracking import MlflowClient

# Fail within seconds when the server is down, not after seven retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
# Download through the server, as uploads go: with its artifacts in S3, the server would otherwise
# hand out presigned URLs of its own S3 endpoint (http://seaweedfs:8333), which only the stack's
# containers can reach.
os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "false")
# And uploads of 500 MB or more, which would go in parts to presigned URLs of that same endpoint.
os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "false")

TRACKING_URI = os.environ.get("TEAM_MLFLOW_TRACKING_URI") or os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:5001")
EXPERIMENT = "team-experiment"
MODEL = "team-model"
MARKER = os.environ.get("TUTORIAL_MARKER")


def marker_filter():
    return f"tags.`tutorial.marker` = '{MARKER}'" if MARKER else ""


def log(member):
    experiment = mlflow.set_experiment(EXPERIMENT)
    tags = {"team.member": member}
    if MARKER:
        tags["tutorial.marker"] = MARKER
    # Each member gets other numbers; the seed makes them the same at every run.
    rng = Random(member)
    coefficients = {"intercept": round(rng.uniform(-1, 1), 3), "temperature_c": round(rng.uniform(0, 2), 3)}
    with mlflow.start_run(tags=tags) as run:
        mlflow.log_param("member", member)
        mlflow.log_metric("rmse", round(rng.uniform(1, 3), 3))
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "model"
            model.mkdir()
            (model / "coefficients.json").write_text(json.dumps(coefficients, indent=2) + "\n", encoding="utf-8")
            # Uploaded to the server, which stores it in its bucket: no S3 settings on this side.
            mlflow.log_artifacts(str(model), artifact_path="model")
        print(f"Server: {TRACKING_URI}")
        print(f"Experiment: {EXPERIMENT} (id {experiment.experiment_id})")
        print(f"Run id: {run.info.run_id} by {member}")
        print(f"Model files: {run.info.artifact_uri}/model")
    return 0


def runs():
    found = mlflow.search_runs(experiment_names=[EXPERIMENT], filter_string=marker_filter(), output_format="list")
    if not found:
        print(f"No runs in {EXPERIMENT} yet.")
        return 1
    for r in found:
        print(f"{r.info.run_id}  member={r.data.params.get('member')}  rmse={r.data.metrics.get('rmse')}")
    members = sorted({r.data.params.get("member") for r in found})
    print(f"members: {', '.join(members)}")
    return 0


def register(member):
    client = MlflowClient()
    found = mlflow.search_runs(
        experiment_names=[EXPERIMENT],
        filter_string=f"params.member = '{member}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
        output_format="list",
    )
    if not found:
        print(f"No run of {member} in {EXPERIMENT} to register; run `python mlflow/team.py log --member {member}` first.", file=sys.stderr)
        return 1
    run = found[0]
    try:
        client.create_registered_model(MODEL)
    except mlflow.exceptions.MlflowException as err:
        if err.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    version = client.create_model_version(MODEL, source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    print(f"Registered {MODEL} version {version.version} from run {run.info.run_id} by {run.data.params.get('member')}")
    return 0


def load():
    client = MlflowClient()
    versions = client.search_model_versions(f"name = '{MODEL}'")
    if not versions:
        print(f"No model named {MODEL} is registered yet; `python mlflow/team.py register` makes one.", file=sys.stderr)
        return 1
    latest = max(versions, key=lambda v: int(v.version))
    # Downloads through the server, as `log` uploaded: models:/NAME/VERSION names the files.
    path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{MODEL}/{latest.version}")
    coefficients = json.loads((Path(path) / "coefficients.json").read_text(encoding="utf-8"))
    member = client.get_run(latest.run_id).data.params.get("member")
    print(f"Loaded {MODEL} version {latest.version}, registered from run {latest.run_id}")
    print(f"member: {member}")
    print(f"coefficients: {json.dumps(coefficients, sort_keys=True)}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("log").add_argument("--member", required=True, help="who logs the run (you, teammate, ...)")
    sub.add_parser("runs")
    sub.add_parser("register").add_argument("--member", required=True, help="whose latest run to register")
    sub.add_parser("load")
    args = parser.parse_args(argv)
    mlflow.set_tracking_uri(TRACKING_URI)
    if args.command == "log":
        return log(args.member)
    if args.command == "register":
        return register(args.member)
    return {"runs": runs, "load": load}[args.command]()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except mlflow.exceptions.MlflowException as err:
        print(f"MLflow could not do that on {TRACKING_URI}: {err}", file=sys.stderr)
        print("Is the server up? Try: curl " + TRACKING_URI.rstrip("/") + "/health", file=sys.stderr)
        sys.exit(1)
