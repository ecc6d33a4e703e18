"""Every route family in one Chalice app: for ``chalice local`` and ``chalice.test.Client``.
On AWS each family runs as its own function (see ``functions/``)."""

from chalicelib.app_factory import create_app

app = create_app("deskflow-local")
