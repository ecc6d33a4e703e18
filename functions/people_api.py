"""Lambda entry point for the people route family: requesters, teams, technicians, buildings."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-people", ["people"])
