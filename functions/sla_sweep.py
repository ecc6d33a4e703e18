"""SLA sweep, fired every minute by its EventBridge schedule (the local runtime fires it every
``local_seconds``): warns and breaches the tickets whose timers have come due."""


def handler(event, context):
    from chalicelib.domain.sla_sweep import sweep

    return sweep().as_dict()
