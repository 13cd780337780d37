"""Track a tiny experiment on the MLflow server.

    python mlflow/simple.py

It logs one parameter, one metric three times and one file to the experiment
`my-simple-experiment`. Open the MLflow UI afterwards (the address in MLFLOW_TRACKING_URI) to
see the run, the metric's history and the file test.txt under Artifacts.

Which server: MLFLOW_TRACKING_URI, which the tutorial's terminals set from MLFLOW_PORT in
compose/.env (without it, http://127.0.0.1:5001, the stack's default). The file is uploaded to the server over HTTP (proxied artifacts), so it does not matter where the
server keeps its files. If TUTORIAL_MARKER is set, the run carries it as the tag
`tutorial.marker`, so the tutorial can find exactly this run.
"""

import os
import sys
from pathlib import Path
from random import random

import mlflow

# Fail within seconds, not minutes, when the server is down: the client's default is to retry
# each request seven times with growing pauses. Set the variables yourself to change this.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
# Download through the server, as uploads go: with its artifacts in S3, the server would otherwise
# hand out presigned URLs of its own S3 endpoint (http://seaweedfs:8333), which only the stack's
# containers can reach.
os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "false")
# And uploads of 500 MB or more, which would go in parts to presigned URLs of that same endpoint.
os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "false")

TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:5001")
EXPERIMENT = "my-simple-experiment"
MARKER = os.environ.get("TUTORIAL_MARKER")

# Next to the folder you run from, as in MLflow's own quickstart.
OUTPUTS = Path("outputs")


def main():
    mlflow.set_tracking_uri(TRACKING_URI)
    # Creates the experiment on the first run, reuses it afterwards.
    experiment = mlflow.set_experiment(EXPERIMENT)

    tags = {"tutorial.marker": MARKER} if MARKER else {}
    with mlflow.start_run(tags=tags) as run:
        mlflow.log_param("param1", 5)

        # The same metric three times: MLflow keeps the whole history (one value per step),
        # which the UI draws as a chart.
        for step in range(3):
            mlflow.log_metric("foo", step + random(), step=step)

        OUTPUTS.mkdir(exist_ok=True)
        text = "hello world!\n"
        if MARKER:
            text += f"marker: {MARKER}\n"
        (OUTPUTS / "test.txt").write_text(text, encoding="utf-8")
        # Uploads every file in outputs/ to the run's artifact store (here: test.txt).
        mlflow.log_artifacts(str(OUTPUTS))

        print(f"Tracking server: {TRACKING_URI}")
        print(f"Experiment: {EXPERIMENT} (id {experiment.experiment_id})")
        print(f"Run id: {run.info.run_id}")
        # mlflow-artifacts:/... means the server stores the files for us (proxied artifacts).
        print(f"Artifact URI: {run.info.artifact_uri}")
        if MARKER:
            print(f"marker: {MARKER}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except mlflow.exceptions.MlflowException as err:
        print(f"MLflow could not complete the run on {TRACKING_URI}: {err}", file=sys.stderr)
        print("Is the server up? Try: curl " + TRACKING_URI.rstrip("/") + "/health", file=sys.stderr)
        sys.exit(1)
