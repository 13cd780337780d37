"""List what a bucket of the stack's S3 storage (SeaweedFS) holds.

    python data/bucket.py ls BUCKET [PREFIX]

Prints one line per object, its size and its key, then how many there were. The address is
TEAM_S3_ENDPOINT_URL if it is set, else S3_ENDPOINT_URL: the tutorial's terminals set both from
S3_PORT in compose/.env (without them, http://127.0.0.1:8333), or in a workshop whose instructor
runs a class server, TEAM_S3_ENDPOINT_URL to that server's storage; the credentials are S3_ACCESS_KEY and S3_SECRET_KEY from compose/.env,
the ones the stack's server was started with. It uses botocore, the S3 client under DVC's S3
plugin (dvc-s3), so it needs nothing the workspace's requirements do not already install.
"""

import os
import sys
from pathlib import Path

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ENDPOINT = os.environ.get("TEAM_S3_ENDPOINT_URL") or os.environ.get("S3_ENDPOINT_URL", "http://127.0.0.1:8333")


def credentials():
    values = {}
    env = Path("compose/.env")
    if env.is_file():
        for line in env.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    # Variables of the environment win, as with docker compose.
    key = os.environ.get("S3_ACCESS_KEY", values.get("S3_ACCESS_KEY"))
    secret = os.environ.get("S3_SECRET_KEY", values.get("S3_SECRET_KEY"))
    if not key or not secret:
        sys.exit("No S3 credentials: run this from your workspace (it reads S3_ACCESS_KEY and S3_SECRET_KEY from compose/.env).")
    return key, secret


def main(argv):
    if len(argv) not in (2, 3) or argv[0] != "ls":
        sys.exit(__doc__.split("\n\n")[1].strip())
    bucket, prefix = argv[1], argv[2] if len(argv) == 3 else ""
    key, secret = credentials()
    s3 = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20, s3={"addressing_style": "path"}),
    )
    count = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                print(f"{obj['Size']:>10}  {obj['Key']}")
                count += 1
    except ClientError as err:
        e = err.response.get("Error", {})
        sys.exit(f"The S3 server at {ENDPOINT} refused to list {bucket}: {e.get('Code')}: {e.get('Message')}")
    except BotoCoreError as err:
        sys.exit(f"No S3 server answered at {ENDPOINT}: {err}")
    print(f"{count} objects in s3://{bucket}/{prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
