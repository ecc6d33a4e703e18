"""Stands in for Lambda's SQS event-source mappings and EventBridge schedule targets on a laptop.

One thread per queue polls it and hands batches to the consumer the template deploys for it; one
thread per schedule fires its handler every ``local_seconds``. Errors are logged; threads never die.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from chalicelib import aws
from chalicelib.settings import get_settings
from infra.flows import TASK_CONSUMERS, TASK_QUEUES
from infra.functions import CONSUMERS, SCHEDULES
from infra.local.lambda_context import LambdaContext
from infra.local.lambda_events import failed_message_ids, scheduled_event, sqs_event
from infra.queues import QUEUES

POLL_WAIT_SECONDS = 1
ERROR_BACKOFF_SECONDS = 2.0
MISSING_HANDLER_RETRY_SECONDS = 5.0

logger = logging.getLogger(__name__)


class _QuietRepeats:
    """Logs an error the first time it is seen and again only when it changes (one poll a second
    would otherwise repeat the same line forever)."""

    def __init__(self):
        self._last: str | None = None

    def error(self, message: str, *, with_traceback: bool = False) -> None:
        if message != self._last:
            logger.error(message, exc_info=with_traceback)
        self._last = message

    def clear(self) -> None:
        self._last = None


def _load_handler(module_name: str):
    return importlib.import_module(module_name).handler


class QueuePoller:
    """One queue's event-source mapping: receive → Lambda SQS event → consumer → delete what succeeded."""

    def __init__(self, queue: str, consumer: dict, stop: threading.Event):
        self.queue = queue
        self.consumer = consumer
        self._stop = stop
        self._queue_arn: str | None = None
        self._errors = _QuietRepeats()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                handler = _load_handler(self.consumer["module"])
            except Exception as error:
                # The consumer is not written yet or does not import: leave the messages queued.
                self._errors.error(f"consumer for {self.queue} unavailable: {type(error).__name__}: {error}")
                self._stop.wait(MISSING_HANDLER_RETRY_SECONDS)
                continue
            try:
                self.poll_once(handler)
            except Exception as error:
                self._errors.error(f"polling {self.queue} failed: {error}", with_traceback=True)
                self._stop.wait(ERROR_BACKOFF_SECONDS)

    def poll_once(self, handler) -> int:
        """Receive one batch (long poll of POLL_WAIT_SECONDS) and process it; returns its size."""
        sqs = aws.sqs()
        queue_url = aws.queue_url(self.queue)
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            WaitTimeSeconds=POLL_WAIT_SECONDS,
            # Lambda gathers bigger batches from several receives; one ReceiveMessage returns at most 10.
            MaxNumberOfMessages=min(self.consumer.get("batch_size", 10), 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        self.process(handler, messages, queue_url)
        return len(messages)

    def process(self, handler, messages: list[dict], queue_url: str) -> set[str]:
        """Call the consumer; delete every message it did not report as failed. Returns the failed ids."""
        ids = [message["MessageId"] for message in messages]
        region = get_settings().region
        event = sqs_event(messages, self._arn(queue_url), region)
        context = LambdaContext(function_name=self.consumer.get("logical_id", self.queue), region=region)
        try:
            result = handler(event, context)
        except Exception as error:
            # Lambda retries the whole batch: the messages reappear after the visibility timeout
            # and reach the DLQ after maxReceiveCount receives.
            self._errors.error(f"consumer for {self.queue} raised: {error}", with_traceback=True)
            return set(ids)
        self._errors.clear()
        failed = failed_message_ids(result, ids)
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(done[start : start + 10])
            ]
            outcome = aws.sqs().delete_message_batch(QueueUrl=queue_url, Entries=entries)
            for failure in outcome.get("Failed", []):
                logger.warning("could not delete a message from %s: %s", self.queue, failure)
        if failed:
            logger.info("%s: %d of %d messages left for retry", self.queue, len(failed), len(ids))
        return failed

    def _arn(self, queue_url: str) -> str:
        if self._queue_arn is None:
            attributes = aws.sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
            self._queue_arn = attributes["Attributes"]["QueueArn"]
        return self._queue_arn


class ScheduleFirer:
    """One EventBridge rule: fires the handler every ``local_seconds``; a slow run skips missed ticks."""

    def __init__(self, name: str, schedule: dict, stop: threading.Event):
        self.name = name
        self.schedule = schedule
        self._stop = stop
        self._errors = _QuietRepeats()

    def run(self) -> None:
        interval = float(self.schedule["local_seconds"])
        next_fire = time.monotonic() + interval
        while not self._stop.wait(max(0.0, next_fire - time.monotonic())):
            self.fire()
            next_fire += interval
            now = time.monotonic()
            if next_fire < now:
                next_fire = now + interval

    def fire(self) -> None:
        try:
            handler = _load_handler(self.schedule["module"])
        except Exception as error:
            self._errors.error(f"scheduled handler {self.name} unavailable: {type(error).__name__}: {error}")
            return
        region = get_settings().region
        context = LambdaContext(function_name=self.schedule.get("logical_id", self.name), region=region)
        try:
            handler(scheduled_event(self.name, region), context)
        except Exception as error:
            self._errors.error(f"scheduled handler {self.name} raised: {error}", with_traceback=True)
            return
        self._errors.clear()


class EventRuntime:
    def __init__(
        self,
        queues: dict[str, dict] | None = None,
        consumers: dict[str, dict] | None = None,
        schedules: dict[str, dict] | None = None,
    ):
        # Step Functions task queues (infra/flows.py) are polled like the event queues.
        self._queues = {**QUEUES, **TASK_QUEUES} if queues is None else queues
        self._consumers = {**CONSUMERS, **TASK_CONSUMERS} if consumers is None else consumers
        self._schedules = SCHEDULES if schedules is None else schedules
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for queue in self._queues:
            consumer = self._consumers.get(queue)
            if consumer is None:
                logger.warning("queue %s has no consumer in infra.functions.CONSUMERS; not polled", queue)
                continue
            self._spawn(f"sqs:{queue}", QueuePoller(queue, consumer, self._stop).run)
        for name, schedule in self._schedules.items():
            self._spawn(f"schedule:{name}", ScheduleFirer(name, schedule, self._stop).run)

    def _spawn(self, name: str, target) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop polling and firing; a batch being processed is finished first."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s still busy after %.0fs; leaving it", thread.name, timeout)
        self._threads.clear()
