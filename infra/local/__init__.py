"""The local runtime behind ``make run``: emulator, API gateway, event runtime, persistence."""
