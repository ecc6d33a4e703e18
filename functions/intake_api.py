"""Lambda entry point for the intake route family (API Gateway proxy events)."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-intake", ["intake"])
