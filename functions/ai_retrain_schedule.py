"""Scheduled: queue a training job for each workspace whose new labels reached its retraining threshold."""


def handler(event, context):
    from chalicelib.domain.ai_training import request_due_trainings

    return {"queued": request_due_trainings()}
