"""The one blueprint every admin page hangs on, mounted at /admin."""

from flask import Blueprint

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                      static_folder="static", static_url_path="/static")
