"""Lambda entry point for the ai route family (API Gateway proxy events)."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-ai", ["ai"])
