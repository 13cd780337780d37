"""Tells whether the fluent handler really delivered the records; shared by the fluentd examples.

The fluent handler does not raise when fluentd is unreachable (logging must never crash the
program): it keeps the events in memory and remembers the error. report() says so plainly,
instead of letting the events silently never arrive.
"""

import sys


def report(fluent_handler, host, port, marker=None, records=3):
    """Closes the handler (which flushes it) and prints what happened; returns the exit status."""
    error = fluent_handler.sender.last_error
    fluent_handler.close()
    if error is not None:
        print(
            f"Could not send the log records to fluentd at {host}:{port}: {error}. "
            "Is the fluentd container running? Try: docker compose -f compose/docker-compose.yml ps fluentd",
            file=sys.stderr,
        )
        return 1
    print(f"Sent {records} log records with tag ds to fluentd at {host}:{port}.")
    if marker:
        print(f"marker: {marker}")
    return 0
