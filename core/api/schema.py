"""OpenAPI generation: besides its success, each operation documents the errors it can answer."""

from __future__ import annotations

from drf_spectacular.authentication import BasicScheme
from drf_spectacular.openapi import AutoSchema


class ResponseBasicScheme(BasicScheme):
    """Our Basic auth (DRF's, checked by django-axes) is documented as plain HTTP Basic."""

    target_class = "core.api.authentication.BasicAuthentication"


class ResponseAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        errors = {
            "401": "No credentials, or wrong ones.",
            "403": (
                "Not allowed: a permission the person lacks (SPEC §18), as "
                '`{"detail": …, "permission": "<name>"}`; for a session, a missing CSRF token.'
            ),
        }
        if self.method != "GET" or self._is_list_view():
            errors["400"] = "Invalid input or filters; the body says which and why."
        if "{" in self.path:
            errors["404"] = "No such object."
        for code, description in errors.items():
            responses.setdefault(code, {"description": description})
        return responses
