"""Lambda entry point for the directory route family (API Gateway proxy events)."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-directory", ["directory"])
