"""LocalStack 4.9.2 in host mode (no Docker, offline): set up, start, stop, and run the integration suite on it."""
