"""Plain Python logging, configured from logging/logging.ini (console only).

Run it from the workspace folder:

    python logging/logging_test.py

The configuration path below is relative, and Python resolves relative paths against the
folder you run the command from (os.getcwd()), not against this file. Run it from inside
logging/ and the file is not found. Current Python (3.12, and 3.11 from 3.11.4 on) says so:
`FileNotFoundError: logging/logging.ini doesn't exist`. Older versions read the missing file
as an empty configuration and fail with the puzzling `KeyError: 'formatters'`, the error the
2021 guide warned about.
"""

import logging
import logging.config
import os

logging.config.fileConfig("logging/logging.ini")

log = logging.getLogger("experiment")


def train():
    log.debug("Loading the data set")
    log.info("Training started with learning_rate=%s", 0.01)
    log.warning("Validation loss went up in epoch %d", 3)
    try:
        1 / 0
    except ZeroDivisionError:
        # exception() logs at ERROR level and appends the stack trace.
        log.exception("Evaluation failed")


if __name__ == "__main__":
    train()
    marker = os.environ.get("TUTORIAL_MARKER")
    if marker:
        print(f"marker: {marker}")
