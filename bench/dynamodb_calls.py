"""Count DynamoDB API calls made while a block of code runs.

How: botocore emits ``after-call.dynamodb.<Operation>`` on a client's event system after every
API call, with the parsed response. A handler appended to ``botocore.handlers.BUILTIN_HANDLERS``
is registered on every botocore session created afterwards, so it sees the calls of every client
in the process: the ones ``chalicelib.aws`` builds and the ones PynamoDB builds for its models and
transactions (a ``botocore.session.get_session()`` each). moto's ``mock_aws`` hooks in the same way
and answers at ``before-send``, in place of the HTTP request; ``after-call`` fires once per API call
after that, so each call counted is one request that would have crossed the wire to DynamoDB
(botocore retries would add requests without adding calls, but moto in-process never throttles).

Install the counter before any AWS client or PynamoDB connection exists (sessions created earlier
are not hooked), then wrap each request in ``measure()``. ``measure(max_items_read=N)`` stops a
request that has read more than N items by raising ``ReadBudgetExceeded`` from inside it: a
BaseException, so the request pipeline's last-resort ``except Exception`` lets it through.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.handlers import BUILTIN_HANDLERS


class ReadBudgetExceeded(BaseException):
    """A measured request read more items than its budget allows; it was stopped mid-way."""


@dataclass(frozen=True)
class DynamoDBCall:
    operation: str
    scanned_count: int | None


@dataclass(eq=False)  # told apart by identity: nested measurements can hold equal calls
class Measurement:
    """The DynamoDB calls made inside one ``measure()`` block."""

    calls: list[DynamoDBCall] = field(default_factory=list)
    max_items_read: int | None = None

    @property
    def total(self) -> int:
        return len(self.calls)

    def by_operation(self) -> dict[str, int]:
        return dict(sorted(Counter(call.operation for call in self.calls).items()))

    def items_read(self) -> int:
        """Items DynamoDB evaluated for Query calls (the sum of their ScannedCount)."""
        return sum(call.scanned_count or 0 for call in self.calls if call.operation == "Query")

    def query_calls(self) -> int:
        return sum(1 for call in self.calls if call.operation == "Query")

    def describe(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in self.by_operation().items()) or "-"


class DynamoDBCallCounter:
    def __init__(self) -> None:
        self._active: list[Measurement] = []
        self._installed = False

    def install(self) -> None:
        if self._installed:
            return
        BUILTIN_HANDLERS.append(("after-call.dynamodb", self._after_call))
        self._installed = True

    @contextmanager
    def measure(self, max_items_read: int | None = None):
        measurement = Measurement(max_items_read=max_items_read)
        self._active.append(measurement)
        try:
            yield measurement
        finally:
            self._active.remove(measurement)

    def _after_call(self, http_response=None, parsed=None, model=None, **_kwargs) -> None:
        if not self._active:
            return
        scanned = (parsed or {}).get("ScannedCount")
        call = DynamoDBCall(operation=model.name, scanned_count=None if scanned is None else int(scanned))
        for measurement in self._active:
            measurement.calls.append(call)
        for measurement in self._active:
            if measurement.max_items_read is not None and measurement.items_read() > measurement.max_items_read:
                raise ReadBudgetExceeded(f"{measurement.items_read()} items read")


COUNTER = DynamoDBCallCounter()
