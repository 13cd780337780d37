"""The fields of a fluentd event, from a log record; shared by the fluentd examples and logging.yml.

fluent-logger's FluentRecordFormatter fills `stack_trace: "%(exc_text)s"` with the text "None"
when a record has no exception, and puts the traceback of one that does into `message` as well
(it formats the message the way a console line is formatted, traceback included). This
formatter keeps the same fields, but gives `stack_trace` only to records that have one, and
keeps `message` to the message itself.
"""

from fluent import handler


class FluentFormatter(handler.FluentRecordFormatter):
    def format(self, record):
        data = super().format(record)
        trace = record.exc_text
        if not trace:
            if data.get("stack_trace") == "None":
                del data["stack_trace"]
            return data
        message = data.get("message")
        if isinstance(message, str) and message.endswith(trace):
            data["message"] = message[: -len(trace)].rstrip("\n")
        return data
