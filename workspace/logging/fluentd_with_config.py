"""Send Python log records to fluentd, configured from logging/logging.yml.

    python logging/fluentd_with_config.py

The same result as fluentd_test.py, but the handlers and formats live in a YAML file that
logging.config.dictConfig() reads, so the code only asks for a logger. This is the usual way
in a real project: change where logs go without touching the code.

Where fluentd listens: FLUENTD_HOST and FLUENTD_FORWARD_PORT, which the tutorial's terminals
set from compose/.env (without them, 127.0.0.1:24224). If TUTORIAL_MARKER is set, every record
carries it in a field named `marker`.
"""

import logging
import logging.config
import os
import sys
from pathlib import Path

import yaml
from fluent import handler

import delivery  # logging/delivery.py, beside this script

FLUENTD_HOST = os.environ.get("FLUENTD_HOST", "127.0.0.1")
FLUENTD_FORWARD_PORT = int(os.environ.get("FLUENTD_FORWARD_PORT", "24224"))
MARKER = os.environ.get("TUTORIAL_MARKER")

# Found next to this script, wherever you run it from (compare logging_test.py, whose
# relative path depends on the current folder).
CONFIG_FILE = Path(__file__).with_name("logging.yml")


def configure():
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    # The YAML holds the defaults; the environment may point at another fluentd.
    config["handlers"]["fluent"]["host"] = FLUENTD_HOST
    config["handlers"]["fluent"]["port"] = FLUENTD_FORWARD_PORT
    if MARKER:
        config["formatters"]["fluent"]["format"]["marker"] = MARKER.replace("%", "%%")
    logging.config.dictConfig(config)


def fluent_handler():
    return next(h for h in logging.getLogger().handlers if isinstance(h, handler.FluentHandler))


def evaluate(log):
    try:
        {"accuracy": 0.91}["f1"]
    except KeyError:
        # exception() adds the stack trace, which the formatter puts in `stack_trace`.
        log.exception("Evaluation failed: metric missing")


def main():
    configure()
    log = logging.getLogger("fluentd_with_config")

    log.info("Experiment started from a YAML logging configuration")
    log.info({"event": "parameters", "learning_rate": 0.01, "batch_size": 32})
    evaluate(log)

    return delivery.report(fluent_handler(), FLUENTD_HOST, FLUENTD_FORWARD_PORT, MARKER)


if __name__ == "__main__":
    sys.exit(main())
