"""Send Python log records to fluentd, with the handler built by hand.

    python logging/fluentd_test.py

fluent-logger's FluentHandler turns each log record into a structured event and sends it over
fluentd's forward protocol (TCP). fluentd routes events tagged `ds` to Elasticsearch, where
they land in the index logstash-YYYY.MM.DD (the UTC date).

Where fluentd listens: FLUENTD_HOST and FLUENTD_FORWARD_PORT, which the tutorial's terminals
set from FLUENTD_PORT in compose/.env (without them, 127.0.0.1:24224, the stack's default).
If TUTORIAL_MARKER is set, every record carries it in a field named `marker`, so the tutorial
can find exactly this run's records in Elasticsearch.
"""

import json
import logging
import os
import sys

from fluent import handler

import delivery  # logging/delivery.py, beside this script
from records import FluentFormatter  # logging/records.py: stack_trace only when there is one

FLUENTD_HOST = os.environ.get("FLUENTD_HOST", "127.0.0.1")
FLUENTD_FORWARD_PORT = int(os.environ.get("FLUENTD_FORWARD_PORT", "24224"))
MARKER = os.environ.get("TUTORIAL_MARKER")

# Which fields each event gets, taken from the log record (the usual %-style attributes, plus
# `hostname`, which the formatter adds). The message itself is merged in as well: a dict
# becomes fields, a JSON object string is parsed into fields, any other text ends up in a
# field named `message`. `stack_trace` is left out of records without an exception.
custom_format = {
    "hostname": "%(hostname)s",
    "where": "%(module)s.%(funcName)s",
    "type": "%(levelname)s",
    "stack_trace": "%(exc_text)s",
}
if MARKER:
    # A constant value; doubling any % keeps it from being read as a placeholder.
    custom_format["marker"] = MARKER.replace("%", "%%")

log = logging.getLogger("fluentd_test")
log.setLevel(logging.DEBUG)

# Tag `ds`: fluentd's <match ds.**> sends these events to Elasticsearch.
fluent_handler = handler.FluentHandler("ds", host=FLUENTD_HOST, port=FLUENTD_FORWARD_PORT)
fluent_handler.setFormatter(FluentFormatter(custom_format))
log.addHandler(fluent_handler)


def main():
    # 1. A dict: its keys become fields of the event.
    log.info({"event": "training_started", "model": "random_forest", "n_estimators": 100})
    # 2. A JSON object as a string: parsed, so its keys become fields too.
    log.info(json.dumps({"event": "epoch_finished", "epoch": 1, "accuracy": 0.87}))
    # 3. Plain text: stored in the `message` field.
    log.warning("Plain text message: the validation loss went up")

    return delivery.report(fluent_handler, FLUENTD_HOST, FLUENTD_FORWARD_PORT, MARKER)


if __name__ == "__main__":
    sys.exit(main())
