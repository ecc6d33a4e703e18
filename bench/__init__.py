"""Benchmarks behind ``make bench``: DynamoDB round trips per request, list-page reads against
workspace size, and cold import time of every Lambda entry module. Not part of ``make test``."""
