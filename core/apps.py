from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.audit import recorder

        recorder.connect()
