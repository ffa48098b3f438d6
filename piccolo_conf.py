"""Piccolo's configuration: the engine named by MITRAKIA_DATABASE_URL and the apps whose tables it holds."""

from piccolo.conf.apps import AppRegistry

from core.database.engine import create_engine
from core.settings import get_settings

DB = create_engine(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "core.piccolo_app",
        "partners.piccolo_app",
        "verification.piccolo_app",
        "admin.piccolo_app",
    ]
)
