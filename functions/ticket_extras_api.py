"""Lambda entry point for the ticket_extras route family (API Gateway proxy events)."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-ticket-extras", ["ticket_extras"])
