"""Lambda entry point for the admin route family (API Gateway proxy events)."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-admin", ["admin"])
