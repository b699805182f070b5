"""Server-rendered pages (SPEC §10): the incident list and the incident document."""

urlpatterns: list = []
